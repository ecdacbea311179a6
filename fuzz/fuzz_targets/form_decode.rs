//! Fuzzes the built-in endpoint's request decoding: form text -> pairs -> tree -> a typed
//! CreateAutoScalingGroup request (the richest input shape: lists, nested structures, numbers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use phantom_autoscale::autoscaling::types::CreateAutoScalingGroupInput;
use phantom_autoscale::query::{form, tree};

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = form::decode_pairs(data) else {
        return;
    };
    let Ok(node) = form::pairs_to_node(&pairs) else {
        return;
    };
    let _ = tree::from_node::<CreateAutoScalingGroupInput>(&node);
});
