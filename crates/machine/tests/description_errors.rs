//! Every kind of description mistake gets a message, a hint, and the
//! file:line:col of the place to fix.

use chimera_machine::{builtin_registry, load, Description, Diagnostic, SerialConfig, Source};

/// Loads and realizes `text`, returning the first diagnostic.
fn first_error(text: &str) -> Diagnostic {
    let source = Source::new("m.toml", text);
    let result = Description::parse(source)
        .and_then(|d| load(d, builtin_registry(), std::path::Path::new("/nonexistent")))
        .and_then(|l| l.realize(&SerialConfig::default()).map(|_| ()));
    match result {
        Ok(()) => panic!("the description was accepted"),
        Err(d) => d.first().cloned().expect("at least one diagnostic"),
    }
}

fn at(d: &Diagnostic) -> (usize, usize) {
    let loc = d.location.as_ref().expect("a location");
    assert_eq!(loc.file, "m.toml");
    (loc.line, loc.col)
}

const SPACE: &str = "[[space]]\nid = \"sys\"\n";

#[test]
fn unknown_type_points_at_the_type_with_a_suggestion() {
    let d = first_error(&format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"ns16550\"\n"
    ));
    assert_eq!(at(&d), (5, 8));
    assert_eq!(d.message, "unknown type `ns16550`");
    assert!(d.hint.unwrap().contains("did you mean `ns16550a`"));
}

#[test]
fn unknown_property_points_at_the_key() {
    let d = first_error(&format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"ns16550a\"\nreg-shfit = 2\n"
    ));
    assert_eq!(at(&d), (6, 1));
    assert!(
        d.message.contains("no property `reg-shfit`"),
        "{}",
        d.message
    );
    assert!(d.hint.unwrap().contains("did you mean `reg-shift`"));
}

#[test]
fn wrong_value_type_points_at_the_value() {
    let d = first_error(&format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"ns16550a\"\nreg-shift = \"two\"\n"
    ));
    assert_eq!(at(&d), (6, 13));
    assert!(d.message.contains("expects integer"), "{}", d.message);
    assert!(d.message.contains("string \"two\""), "{}", d.message);
}

#[test]
fn missing_required_property_points_at_the_object() {
    let d = first_error(&format!(
        "{SPACE}[[memory]]\nid = \"ram\"\ntype = \"ram\"\nspace = \"sys\"\nbase = 0\n"
    ));
    assert_eq!(at(&d), (4, 6));
    assert!(d.message.contains("needs property `size`"), "{}", d.message);
    assert_eq!(d.hint.as_deref(), Some("add `size = ...`"));
}

#[test]
fn duplicate_id_points_at_the_second_and_names_the_first() {
    let d = first_error(&format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"ns16550a\"\n[[device]]\nid = \"u\"\ntype = \"test-finisher\"\n"
    ));
    assert_eq!(at(&d), (7, 6));
    assert_eq!(d.message, "the id `u` is already used");
    assert!(d.hint.unwrap().contains("first declared at m.toml:4:6"));
}

#[test]
fn overlapping_regions_at_equal_priority_point_at_the_second_base() {
    let d = first_error(&format!(
        "{SPACE}[[memory]]\nid = \"a\"\ntype = \"ram\"\nspace = \"sys\"\nbase = 0x1000\nsize = \"8K\"\n\
         [[device]]\nid = \"u\"\ntype = \"ns16550a\"\nspace = \"sys\"\nbase = 0x2000\n"
    ));
    assert_eq!(at(&d), (13, 8));
    assert!(d.message.contains("overlaps `a`"), "{}", d.message);
    assert!(d.hint.unwrap().contains("priority"));
}

#[test]
fn overlap_at_different_priorities_is_accepted() {
    let text = format!(
        "{SPACE}[[memory]]\nid = \"a\"\ntype = \"ram\"\nspace = \"sys\"\nbase = 0x1000\nsize = \"8K\"\n\
         [[device]]\nid = \"u\"\ntype = \"ns16550a\"\nspace = \"sys\"\nbase = 0x2000\npriority = 1\n"
    );
    let d = Description::parse(Source::new("m.toml", &text)).unwrap();
    let loaded = load(d, builtin_registry(), std::path::Path::new(".")).unwrap();
    loaded.realize(&SerialConfig::default()).unwrap();
}

#[test]
fn line_to_a_missing_object_points_at_that_end() {
    let d = first_error(&format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"ns16550a\"\n[[line]]\nfrom = \"u.irq\"\nto = \"plic.source[10]\"\n"
    ));
    assert_eq!(at(&d), (8, 6));
    assert!(d.message.contains("no object `plic`"), "{}", d.message);
    assert!(d.hint.unwrap().contains("the objects are: u"));
}

#[test]
fn line_from_a_missing_pin_lists_the_pins() {
    let d = first_error(&format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"ns16550a\"\n[[line]]\nfrom = \"u.tx\"\nto = \"u.irq\"\n"
    ));
    assert_eq!(at(&d), (7, 8));
    assert!(d.message.contains("no output pin `tx`"), "{}", d.message);
    assert!(d.message.contains("irq"), "{}", d.message);
}

#[test]
fn image_for_an_unknown_cluster_points_at_the_cluster() {
    let d = first_error(&format!(
        "{SPACE}[[image]]\ncluster = \"app\"\npath = \"x.elf\"\n"
    ));
    assert_eq!(at(&d), (4, 11));
    assert_eq!(d.message, "no cluster `app`");
}

#[test]
fn unknown_space_points_at_the_space() {
    let d = first_error(&format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"ns16550a\"\nspace = \"bus\"\nbase = 0\n"
    ));
    assert_eq!(at(&d), (6, 9));
    assert!(d.hint.unwrap().contains("the spaces are: sys"));
}

#[test]
fn toml_syntax_error_has_a_location() {
    let d = first_error(&format!("{SPACE}[[device]\nid = \"u\"\n"));
    assert_eq!(at(&d).0, 3);
    assert!(d.message.contains("not valid TOML"), "{}", d.message);
}

#[test]
fn all_mistakes_are_reported_at_once() {
    let text = format!(
        "{SPACE}[[device]]\nid = \"u\"\ntype = \"nope\"\n[[device]]\nid = \"v\"\ntype = \"ns16550a\"\nbad = 1\n"
    );
    let d = Description::parse(Source::new("m.toml", &text)).unwrap();
    let err = load(d, builtin_registry(), std::path::Path::new(".")).unwrap_err();
    assert_eq!(err.0.len(), 2, "{err}");
}

#[test]
fn a_type_of_the_wrong_kind_points_at_the_type() {
    let d = first_error(
        "[[space]]\nid = \"sys\"\n[[cluster]]\nid = \"cpu\"\ntype = \"address-space\"\n",
    );
    assert_eq!(at(&d), (5, 8));
    assert!(d.message.contains("not a cluster type"), "{}", d.message);
}

#[test]
fn image_that_does_not_exist_points_at_the_path() {
    // Images are checked against clusters first; with no cluster type
    // compiled in this test needs one from the registry.
    let registry = builtin_registry();
    let Some(cluster_type) = registry
        .iter()
        .find(|t| t.info.kind() == chimera_core::ObjectKind::Cluster)
        .map(|t| t.info.name().to_string())
    else {
        return;
    };
    let text = format!(
        "{SPACE}[[cluster]]\nid = \"cpu\"\ntype = \"{cluster_type}\"\nspace = \"sys\"\n[[image]]\ncluster = \"cpu\"\npath = \"missing.elf\"\n"
    );
    let d = first_error(&text);
    assert_eq!(at(&d), (9, 8));
    assert!(d.message.contains("does not exist"), "{}", d.message);
    assert!(d.hint.unwrap().contains("relative to the description"));
}
