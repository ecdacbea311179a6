//! Fuzzes the reply reader: any body, read as a DescribeAutoScalingGroups reply, then filled into
//! its typed output. Nothing may panic, overflow the stack or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phantom_autoscale::autoscaling::types::DescribeAutoScalingGroupsOutput;
use phantom_autoscale::query::{tree, xml};

fuzz_target!(|data: &[u8]| {
    if let Ok(xml::Reply::Success { result, .. }) =
        xml::parse_reply("DescribeAutoScalingGroups", data)
    {
        let _ = tree::from_tree::<DescribeAutoScalingGroupsOutput>(&result);
    }
});
