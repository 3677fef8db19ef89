//! The runtime-API parsers on hostile input: no input panics them, and well-formed replies
//! with any column order and any extra columns parse to the values written.

use btsops::lb::info::parse_info;
use btsops::lb::servers_state::parse_servers_state;
use btsops::lb::stat::parse_stat;
use proptest::prelude::*;

/// Text made of the pieces real replies are made of, so the generator reaches deep into
/// the parsers instead of failing on the first byte.
fn reply_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("1\n".to_string()),
        Just("# ".to_string()),
        Just("pxname,svname,status,scur,".to_string()),
        Just("be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_check_result".to_string()),
        Just("Pid: ".to_string()),
        Just("Uptime_sec: ".to_string()),
        Just("\"".to_string()),
        Just(",".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        "[0-9]{1,25}",
        "[a-zA-Z_ -]{0,8}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn no_input_panics_the_parsers(text in reply_like()) {
        let _ = parse_stat(&text);
        let _ = parse_servers_state(&text);
        let _ = parse_info(&text);
    }

    #[test]
    fn arbitrary_bytes_do_not_panic_either(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_stat(&text);
        let _ = parse_servers_state(&text);
        let _ = parse_info(&text);
    }

    /// Columns in any order, unknown ones mixed in: values come back by name.
    #[test]
    fn stat_columns_are_found_by_name(
        scur in 0u64..1_000_000,
        weight in 0u64..257,
        extra in prop::collection::vec("[a-z]{3,8}", 0..5),
        rotate in 0usize..8,
    ) {
        let mut cols: Vec<(String, String)> = vec![
            ("pxname".into(), "be".into()),
            ("svname".into(), "n1".into()),
            ("status".into(), "UP 1/2".into()),
            ("scur".into(), scur.to_string()),
            ("weight".into(), weight.to_string()),
        ];
        for (i, e) in extra.iter().enumerate() {
            cols.push((format!("x_{e}_{i}"), format!("\"{e}, quoted\"")));
        }
        let n = cols.len();
        cols.rotate_left(rotate % n);
        let header: Vec<&str> = cols.iter().map(|(k, _)| k.as_str()).collect();
        let row: Vec<&str> = cols.iter().map(|(_, v)| v.as_str()).collect();
        let text = format!("# {},\n{},\n\n", header.join(","), row.join(","));
        let rows = parse_stat(&text).expect("well-formed");
        prop_assert_eq!(rows.len(), 1);
        prop_assert_eq!(rows[0].scur, Some(scur));
        prop_assert_eq!(rows[0].weight, Some(weight));
        prop_assert_eq!(rows[0].status.as_str(), "UP 1/2");
        prop_assert!(rows[0].is_server());
    }

    #[test]
    fn servers_state_fields_are_found_by_name(
        admin in 0u32..128,
        op in 0u32..4,
        uweight in 0u32..257,
        rotate in 0usize..9,
    ) {
        let mut cols: Vec<(&str, String)> = vec![
            ("be_name", "be".into()),
            ("srv_name", "n1".into()),
            ("srv_addr", "127.0.0.1".into()),
            ("srv_op_state", op.to_string()),
            ("srv_admin_state", admin.to_string()),
            ("srv_uweight", uweight.to_string()),
            ("srv_iweight", "1".into()),
            ("srv_check_result", "3".into()),
            ("srv_future_field", "-".into()),
        ];
        cols.rotate_left(rotate);
        let header: Vec<&str> = cols.iter().map(|(k, _)| *k).collect();
        let row: Vec<&str> = cols.iter().map(|(_, v)| v.as_str()).collect();
        let text = format!("1\n# {}\n{}\n\n", header.join(" "), row.join(" "));
        let s = parse_servers_state(&text).expect("well-formed");
        prop_assert_eq!(s.len(), 1);
        prop_assert_eq!(s[0].admin_state, admin);
        prop_assert_eq!(s[0].uweight, uweight);
        prop_assert_eq!(s[0].server.as_str(), "n1");
    }
}
