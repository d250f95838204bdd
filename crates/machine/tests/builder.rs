//! The builder: the same description gives the same tree, the life cycle
//! is walked for every object, and config properties freeze at realize.

use chimera_core::Phase;
use chimera_machine::{builtin_registry, load, Description, Machine, SerialConfig, Source};
use serde_json::Value;

const BOARD: &str = r#"
[machine]
name = "board"

[[space]]
id = "sys"

[[memory]]
id = "ram"
type = "ram"
size = "64K"
map = [{ space = "sys", base = 0x8000_0000 }, { space = "sys", base = 0x4000_0000 }]

[[device]]
id = "uart0"
type = "ns16550a"
space = "sys"
base = 0x1000_0000

[[device]]
id = "finisher"
type = "test-finisher"
space = "sys"
base = 0x10_0000
"#;

fn build(text: &str) -> Machine {
    let d = Description::parse(Source::new("board.toml", text)).unwrap();
    let loaded = load(d, builtin_registry(), std::path::Path::new(".")).unwrap();
    loaded.realize(&SerialConfig::default()).unwrap()
}

fn snapshot(m: &Machine) -> Vec<(String, String, Value)> {
    m.tree()
        .iter()
        .map(|n| {
            (
                n.path().to_string(),
                n.type_name().to_string(),
                n.props_value(),
            )
        })
        .collect()
}

#[test]
fn the_same_description_builds_the_identical_tree() {
    let a = build(BOARD);
    let b = build(BOARD);
    assert_eq!(snapshot(&a), snapshot(&b));
    assert_eq!(a.tree().render(), b.tree().render());
    let paths: Vec<String> = snapshot(&a).into_iter().map(|s| s.0).collect();
    assert_eq!(
        paths,
        [
            "/machine/finisher",
            "/machine/ram",
            "/machine/sys",
            "/machine/uart0"
        ]
    );
}

#[test]
fn every_object_ends_realized() {
    let m = build(BOARD);
    assert!(m.tree().iter().all(|n| n.phase() == Phase::Realized));
}

#[test]
fn one_memory_mapped_twice_is_one_block_of_ram() {
    let m = build(BOARD);
    let space = &m.spaces()["sys"];
    space.load_bytes(0x8000_0010, &[0xab]).unwrap();
    let mut out = [0u8];
    space
        .read_bytes(&Default::default(), 0x4000_0010, &mut out)
        .unwrap();
    assert_eq!(out[0], 0xab);
    assert!(m.render_mtree().contains("uart0"));
}

#[test]
fn config_property_of_a_realized_object_is_refused() {
    let mut m = build(BOARD);
    let path = chimera_core::ObjectPath::resolve("uart0").unwrap();
    let info = m.registry().get("ns16550a").unwrap().info.clone();
    let err = m
        .tree_mut()
        .set_property(&path, &info, "reg-shift", Value::from(2))
        .unwrap_err();
    assert!(err.to_string().contains("is realized"), "{err}");
}
