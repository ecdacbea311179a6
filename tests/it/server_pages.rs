//! DescribeAutoScalingGroups reads only the rows a page needs: pages by key (a deletion between
//! pages neither repeats nor skips a group), exact page boundaries, and named groups (missing
//! names skipped, repeats once, in name order).

use crate::util::server::*;
use phantom_autoscale::autoscaling::types::DescribeAutoScalingGroupsOutput;

fn names(out: &DescribeAutoScalingGroupsOutput) -> Vec<String> {
    out.auto_scaling_groups
        .iter()
        .flatten()
        .map(|g| g.auto_scaling_group_name.clone().unwrap())
        .collect()
}

served!(group_pages_follow_keys, |server, c| {
    create_lc(&c, "lc").await.done();
    for i in 0..7 {
        create_group(&c, &format!("g{i}"), "lc", 0, 1, 0)
            .await
            .done();
    }
    let first: DescribeAutoScalingGroupsOutput = c
        .call("DescribeAutoScalingGroups", &[("MaxRecords", "3")])
        .await
        .ok();
    assert_eq!(names(&first), ["g0", "g1", "g2"]);
    // Deleting a group already shown and one not yet shown moves nothing else.
    for gone in ["g1", "g4"] {
        c.call(
            "DeleteAutoScalingGroup",
            &[("AutoScalingGroupName", gone), ("ForceDelete", "true")],
        )
        .await
        .done();
    }
    let token = first.next_token.expect("more");
    let second: DescribeAutoScalingGroupsOutput = c
        .call(
            "DescribeAutoScalingGroups",
            &[("MaxRecords", "3"), ("NextToken", &token)],
        )
        .await
        .ok();
    assert_eq!(names(&second), ["g3", "g5", "g6"]);
    assert_eq!(second.next_token, None, "exactly the last page");

    let named: DescribeAutoScalingGroupsOutput = c
        .call(
            "DescribeAutoScalingGroups",
            &[
                ("AutoScalingGroupNames.member.1", "g6"),
                ("AutoScalingGroupNames.member.2", "missing"),
                ("AutoScalingGroupNames.member.3", "g0"),
                ("AutoScalingGroupNames.member.4", "g6"),
                ("AutoScalingGroupNames.member.5", "g1"),
            ],
        )
        .await
        .ok();
    assert_eq!(names(&named), ["g0", "g6"]);
    server.shutdown().await;
});
