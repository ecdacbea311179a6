//! Fuzzes the reply reader: any body, read as a DescribeAutoScalingGroups reply, then filled into
//! its typed output. Nothing may panic, overflow the stack or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phantom_autoscale::autoscaling::types::DescribeAutoScalingGroupsOutput;
use phantom_autoscale::query::xml;

fuzz_target!(|data: &[u8]| {
    let _ = xml::parse_typed_reply::<DescribeAutoScalingGroupsOutput>(
        "DescribeAutoScalingGroups",
        data,
    );
});
