//! Bad input from every side: the LCD commands missing, failing, hanging or
//! printing garbage; a settings file that is a folder, binary or huge; a
//! huge resource ID. Never a panic, always a verdict that names the thing.

use std::time::Duration;

use crate::util::*;

fn ready_on_node1() -> (&'static Moto, Cluster) {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.create(NODE1, ADDR1).ok();
    (moto, c)
}

#[test]
fn a_missing_lcd_command_is_named() {
    let (_moto, c) = ready_on_node1();
    std::fs::remove_file(c.root(NODE1).join("bin/dep_list")).expect("remove");
    c.action(NODE1, "restore", TAG)
        .status(3)
        .says("cannot run")
        .says("bin/dep_list");
    c.action(NODE1, "quickCheck", TAG)
        .ok()
        .says("ERROR:route53:quickCheck")
        .says("bin/dep_list");
}

#[test]
fn a_failing_lcd_command_is_named_with_its_stderr() {
    let (_moto, c) = ready_on_node1();
    c.lcd_faults(
        NODE1,
        r#"{"ins_list": {"exit": 1, "stderr": "lcd: cannot attach to the LCD\n"}}"#,
    );
    c.action(NODE1, "restore", TAG)
        .status(3)
        .says("/bin/ins_list failed with exit status 1: lcd: cannot attach to the LCD");
}

#[test]
fn a_hanging_lcd_command_is_killed_at_its_limit() {
    let (_moto, c) = ready_on_node1();
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_LCD_TIMEOUT=1\n");
    c.lcd_faults(NODE1, r#"{"dep_list": {"hang": 60}}"#);
    let out = c.action(NODE1, "restore", TAG);
    out.status(3)
        .says("dep_list -c r53-app did not finish within 1 s and was killed");
    assert!(out.took < Duration::from_secs(10), "{out}");
}

#[test]
fn garbage_and_non_utf8_from_the_lcd_are_refused() {
    let (_moto, c) = ready_on_node1();
    c.lcd_faults(
        NODE1,
        r#"{"ins_list": {"stdout": "this is not ins_list output\n"}}"#,
    );
    c.action(NODE1, "restore", TAG)
        .status(3)
        .says("not in the documented form (line 1)");
    c.lcd_faults(NODE1, r#"{"ins_list": {"stdout_hex": "ff00fe0a"}}"#);
    c.action(NODE1, "restore", TAG)
        .status(3)
        .says("output is not UTF-8");
    c.action(NODE1, "quickCheck", TAG)
        .ok()
        .says("output is not UTF-8");
}

#[test]
fn a_settings_file_that_is_a_folder_binary_or_huge_costs_only_warnings() {
    let (_moto, c) = ready_on_node1();
    // A folder.
    std::fs::remove_file(&c.defaults).expect("remove");
    std::fs::create_dir(&c.defaults).expect("mkdir");
    c.action(NODE1, "quickCheck", TAG)
        .status(1)
        .says("cannot read");
    std::fs::remove_dir(&c.defaults).expect("rmdir");
    // Binary.
    let mut bytes = b"ROUTE53_CHANGEID_INTERVAL=1\n".to_vec();
    bytes.extend_from_slice(&[0, 159, 146, 150, 10, 0xff, 0xfe, b'=', b'1', 10]);
    std::fs::write(&c.defaults, &bytes).expect("write");
    c.action(NODE1, "restore", TAG)
        .ok()
        .says(&format!("{}:2: line ignored", c.defaults.display()))
        .says(&format!(
            "{}:3: line ignored: not UTF-8 text",
            c.defaults.display()
        ));
    // Huge: 3 MiB, the setting on its first line.
    let mut huge = b"ROUTE53_TTL=42\nROUTE53_CHANGEID_INTERVAL=1\n".to_vec();
    huge.resize(3 << 20, b'#');
    std::fs::write(&c.defaults, &huge).expect("write");
    c.action(NODE1, "restore", TAG)
        .ok()
        .says("larger than 1048576 bytes");
    assert_eq!(c.record(), format!("{ADDR1} 42"));
}

#[test]
fn a_huge_resource_id_changes_nothing() {
    let (_moto, c) = ready_on_node1();
    let id = "x".repeat(100_000);
    c.raw(NODE1, "actions/restore", &["-t", TAG, "-i", &id])
        .ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}
