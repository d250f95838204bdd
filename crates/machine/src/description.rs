//! The description format: a TOML file that declares a machine. This
//! module reads the text into declarations that remember where each key and
//! value was written; checking them against the registry is the loader's
//! job ([`crate::load()`]).
//!
//! ```toml
//! [machine]
//! name = "riscv-virt"
//! doc = "RISC-V 64-bit board with QEMU virt's memory map"
//!
//! [[space]]
//! id = "sys"
//!
//! [[cluster]]
//! id = "cpu"
//! type = "riscv64"
//! space = "sys"
//! harts = 1
//!
//! [[memory]]
//! id = "ram"
//! type = "ram"
//! space = "sys"
//! base = 0x8000_0000
//! size = "128M"
//!
//! [[device]]
//! id = "uart0"
//! type = "ns16550a"
//! map = [{ space = "sys", base = 0x1000_0000 }]
//!
//! [[line]]
//! from = "uart0.irq"
//! to = "plic.source[10]"
//!
//! [[image]]
//! cluster = "cpu"
//! path = "../guests/riscv/images/rv64/hello.elf"
//! ```
//!
//! In `[[cluster]]`, `[[memory]]` and `[[device]]` tables the keys `id`,
//! `type`, `space`, `base`, `priority` and `map` place the object; every
//! other key is a property of its type.

use std::ops::Range;

use serde_json::Value;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics, Source};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    /// The value.
    pub value: T,
    /// Its byte range in the source.
    pub span: Range<usize>,
}

impl<T> Sp<T> {
    fn new(value: T, span: Range<usize>) -> Self {
        Sp { value, span }
    }
}

/// Which table an object was declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `[[space]]`
    Space,
    /// `[[cluster]]`
    Cluster,
    /// `[[memory]]`
    Memory,
    /// `[[device]]`
    Device,
}

impl Section {
    /// The table's name.
    pub fn name(self) -> &'static str {
        match self {
            Section::Space => "space",
            Section::Cluster => "cluster",
            Section::Memory => "memory",
            Section::Device => "device",
        }
    }
}

/// One placement of an object in an address space.
#[derive(Debug, Clone, PartialEq)]
pub struct MapDecl {
    /// The space's id.
    pub space: Sp<String>,
    /// Where it goes.
    pub base: Sp<u64>,
    /// Its priority against overlapping regions.
    pub priority: i32,
    /// The whole placement.
    pub span: Range<usize>,
}

/// A declared object: a space, cluster, memory or device.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDecl {
    /// The table it came from.
    pub section: Section,
    /// Its id.
    pub id: Sp<String>,
    /// Its type (`address-space` for spaces).
    pub type_name: Sp<String>,
    /// For clusters: the space its CPUs see.
    pub space: Option<Sp<String>>,
    /// Its placements.
    pub maps: Vec<MapDecl>,
    /// Its properties, in the order written.
    pub props: Vec<(Sp<String>, Sp<Value>)>,
    /// The whole table.
    pub span: Range<usize>,
}

/// A declared line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineDecl {
    /// The output pin.
    pub from: Sp<String>,
    /// The input pin.
    pub to: Sp<String>,
    /// The whole table.
    pub span: Range<usize>,
}

/// A declared image to load.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDecl {
    /// The cluster whose address space it goes into.
    pub cluster: Sp<String>,
    /// The file, relative to the description's directory.
    pub path: Sp<String>,
    /// Load address for a raw image.
    pub addr: Option<Sp<u64>>,
    /// Whether its entry point sets the cluster's pc (default: true).
    pub entry: bool,
    /// The whole table.
    pub span: Range<usize>,
}

/// A whole description, read but not yet checked.
#[derive(Debug, Clone)]
pub struct Description {
    /// Its text.
    pub source: Source,
    /// `[machine] name`.
    pub name: Option<Sp<String>>,
    /// `[machine] doc`.
    pub doc: Option<String>,
    /// `[machine] bios-base`: where `--bios` images go.
    pub bios_base: Option<u64>,
    /// `[machine] kernel-cluster`: the cluster `--kernel` loads into by default.
    pub kernel_cluster: Option<Sp<String>>,
    /// `[machine] reproducible`: pin what comes from the host (as
    /// `chimera run --reproducible`).
    pub reproducible: bool,
    /// Objects in declaration order, spaces first.
    pub objects: Vec<ObjectDecl>,
    /// Lines.
    pub lines: Vec<LineDecl>,
    /// Images.
    pub images: Vec<ImageDecl>,
}

/// Collects diagnostics while reading.
struct Reader<'s> {
    source: &'s Source,
    errors: Vec<Diagnostic>,
}

type Table<'i> = DeTable<'i>;

impl Reader<'_> {
    fn error(&mut self, span: &Range<usize>, message: String, hint: Option<String>) {
        let loc = self.source.locate(span);
        self.errors.push(Diagnostic::at(loc, message, hint));
    }

    fn string(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Sp<String>> {
        match v.get_ref() {
            DeValue::String(s) => Some(Sp::new(s.to_string(), v.span())),
            _ => {
                self.error(&v.span(), format!("{what} must be a string"), None);
                None
            }
        }
    }

    fn integer(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Sp<u64>> {
        match to_json(v.get_ref()) {
            Some(Value::Number(n)) if n.is_u64() => n.as_u64().map(|n| Sp::new(n, v.span())),
            Some(Value::Number(n)) if n.is_i64() => {
                self.error(&v.span(), format!("{what} must not be negative"), None);
                None
            }
            _ => {
                self.error(
                    &v.span(),
                    format!("{what} must be an integer"),
                    Some("write it as a number, e.g. 0x8000_0000".into()),
                );
                None
            }
        }
    }

    /// A mapping's priority: a signed 32-bit integer (negative ones sit
    /// under the default 0, as QEMU's do).
    fn priority(&mut self, v: &Spanned<DeValue>) -> Option<i32> {
        let n = match to_json(v.get_ref()) {
            Some(Value::Number(n)) => n.as_i64(),
            _ => None,
        };
        match n.map(i32::try_from) {
            Some(Ok(p)) => Some(p),
            _ => {
                self.error(
                    &v.span(),
                    format!(
                        "`priority` must be an integer from {} to {}",
                        i32::MIN,
                        i32::MAX
                    ),
                    None,
                );
                None
            }
        }
    }

    fn bool(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.error(&v.span(), format!("{what} must be true or false"), None);
                None
            }
        }
    }

    fn tables<'t, 'i>(
        &mut self,
        v: &'t Spanned<DeValue<'i>>,
        section: &str,
    ) -> Vec<(&'t Table<'i>, Range<usize>)> {
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| match item.get_ref() {
                    DeValue::Table(t) => Some((t, item.span())),
                    _ => {
                        self.error(
                            &item.span(),
                            format!("`{section}` entries are tables"),
                            Some(format!("write them as [[{section}]]")),
                        );
                        None
                    }
                })
                .collect(),
            _ => {
                self.error(
                    &v.span(),
                    format!("`{section}` is a list of tables"),
                    Some(format!("write each entry as [[{section}]]")),
                );
                Vec::new()
            }
        }
    }

    fn required<'t, 'i>(
        &mut self,
        table: &'t Table<'i>,
        span: &Range<usize>,
        key: &str,
        section: &str,
    ) -> Option<&'t Spanned<DeValue<'i>>> {
        let found = table.get(key);
        if found.is_none() {
            self.error(
                span,
                format!("this [[{section}]] has no `{key}`"),
                Some(format!("add `{key} = ...` to it")),
            );
        }
        found
    }

    fn map_decl(&mut self, table: &Table, span: Range<usize>) -> Option<MapDecl> {
        let space = self.required(table, &span, "space", "map")?;
        let space = self.string(space, "`space`")?;
        let base = self.required(table, &span, "base", "map")?;
        let base = self.integer(base, "`base`")?;
        let priority = match table.get("priority") {
            Some(p) => self.priority(p)?,
            None => 0,
        };
        for (key, _) in table.iter() {
            if !["space", "base", "priority"].contains(&key.get_ref().as_ref()) {
                self.error(
                    &key.span(),
                    format!("a map entry has no key `{}`", key.get_ref()),
                    Some("a map entry takes `space`, `base` and `priority`".into()),
                );
            }
        }
        Some(MapDecl {
            space,
            base,
            priority,
            span,
        })
    }

    fn object(
        &mut self,
        section: Section,
        table: &Table,
        span: Range<usize>,
    ) -> Option<ObjectDecl> {
        let name = section.name();
        let id = self.required(table, &span, "id", name)?;
        let id = self.string(id, "`id`")?;
        let type_name = if section == Section::Space {
            Sp::new("address-space".to_string(), id.span.clone())
        } else {
            let t = self.required(table, &span, "type", name)?;
            self.string(t, "`type`")?
        };
        let mut decl = ObjectDecl {
            section,
            id,
            type_name,
            space: None,
            maps: Vec::new(),
            props: Vec::new(),
            span: span.clone(),
        };
        let mut base = None;
        let mut priority = 0;
        for (key, value) in table.iter() {
            let k = key.get_ref().as_ref();
            match k {
                "id" | "type" => {}
                "space" => decl.space = self.string(value, "`space`"),
                "base" => base = self.integer(value, "`base`"),
                "priority" => priority = self.priority(value).unwrap_or(0),
                "map" => {
                    for (t, s) in self.tables(value, "map") {
                        if let Some(m) = self.map_decl(t, s) {
                            decl.maps.push(m);
                        }
                    }
                }
                _ => match to_json(value.get_ref()) {
                    Some(v) => decl
                        .props
                        .push((Sp::new(k.to_string(), key.span()), Sp::new(v, value.span()))),
                    None => self.error(
                        &value.span(),
                        format!("property `{k}` has a value no property can take"),
                        Some("dates and times are not property values".into()),
                    ),
                },
            }
        }
        match (section, base, decl.space.clone()) {
            (Section::Cluster | Section::Space, Some(b), _) => {
                self.error(&b.span, format!("a {name} has no `base`"), None);
            }
            (Section::Memory | Section::Device, Some(base), Some(space)) => {
                let span = space.span.start.min(base.span.start)..base.span.end.max(space.span.end);
                decl.maps.insert(
                    0,
                    MapDecl {
                        space,
                        base,
                        priority,
                        span,
                    },
                );
                decl.space = None;
            }
            (Section::Memory | Section::Device, Some(base), None) => self.error(
                &base.span,
                "`base` needs a `space` to be in".to_string(),
                Some("add `space = \"ID\"` naming a [[space]]".into()),
            ),
            (Section::Memory | Section::Device, None, Some(space)) => self.error(
                &space.span,
                "`space` needs a `base` address".to_string(),
                Some("add `base = 0x...`".into()),
            ),
            _ => {}
        }
        Some(decl)
    }

    fn line(&mut self, table: &Table, span: Range<usize>) -> Option<LineDecl> {
        let from = self.required(table, &span, "from", "line")?;
        let from = self.string(from, "`from`")?;
        let to = self.required(table, &span, "to", "line")?;
        let to = self.string(to, "`to`")?;
        self.only_keys(table, &["from", "to"], "line");
        Some(LineDecl { from, to, span })
    }

    fn image(&mut self, table: &Table, span: Range<usize>) -> Option<ImageDecl> {
        let cluster = self.required(table, &span, "cluster", "image")?;
        let cluster = self.string(cluster, "`cluster`")?;
        let path = self.required(table, &span, "path", "image")?;
        let path = self.string(path, "`path`")?;
        let addr = match table.get("addr") {
            Some(a) => Some(self.integer(a, "`addr`")?),
            None => None,
        };
        let entry = match table.get("entry") {
            Some(e) => self.bool(e, "`entry`")?,
            None => true,
        };
        self.only_keys(table, &["cluster", "path", "addr", "entry"], "image");
        Some(ImageDecl {
            cluster,
            path,
            addr,
            entry,
            span,
        })
    }

    fn only_keys(&mut self, table: &Table, keys: &[&str], section: &str) {
        for (key, _) in table.iter() {
            if !keys.contains(&key.get_ref().as_ref()) {
                self.error(
                    &key.span(),
                    format!("[[{section}]] has no key `{}`", key.get_ref()),
                    Some(format!("its keys are: {}", keys.join(", "))),
                );
            }
        }
    }
}

/// Converts a TOML value to JSON, the form properties are checked in.
fn to_json(v: &DeValue) -> Option<Value> {
    Some(match v {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let text = i.as_str().replace('_', "");
            let (neg, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest.to_string()),
                None => (false, text.trim_start_matches('+').to_string()),
            };
            let digits = digits
                .trim_start_matches("0x")
                .trim_start_matches("0o")
                .trim_start_matches("0b");
            let magnitude = u64::from_str_radix(digits, i.radix()).ok()?;
            if neg {
                Value::from(0i64.checked_sub_unsigned(magnitude)?)
            } else {
                Value::from(magnitude)
            }
        }
        DeValue::Float(f) => Value::from(f.as_str().replace('_', "").parse::<f64>().ok()?),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => return None,
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json(i.get_ref()))
                .collect::<Option<_>>()?,
        ),
        DeValue::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| Some((k.get_ref().to_string(), to_json(v.get_ref())?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// Parses a TOML value given on the command line (`--set x.y=VALUE`):
/// TOML syntax when it parses (`2`, `0x100`, `true`, `"s"`), else the
/// text as a string.
pub fn parse_cli_value(text: &str) -> Value {
    let doc = format!("v = {text}");
    DeTable::parse(&doc)
        .ok()
        .and_then(|t| t.get_ref().get("v").and_then(|v| to_json(v.get_ref())))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

impl Description {
    /// Reads a description from `source`.
    pub fn parse(source: Source) -> Result<Self, Diagnostics> {
        let text = source.text().to_string();
        let root = match DeTable::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().trim().to_string();
                return Err(Diagnostics(vec![Diagnostic::at(
                    source.locate(&span),
                    format!("this is not valid TOML: {message}"),
                    None,
                )]));
            }
        };
        let mut r = Reader {
            source: &source,
            errors: Vec::new(),
        };
        let mut d = Description {
            source: source.clone(),
            name: None,
            doc: None,
            bios_base: None,
            kernel_cluster: None,
            reproducible: false,
            objects: Vec::new(),
            lines: Vec::new(),
            images: Vec::new(),
        };
        let sections = [
            ("space", Section::Space),
            ("cluster", Section::Cluster),
            ("memory", Section::Memory),
            ("device", Section::Device),
        ];
        for (key, value) in root.get_ref().iter() {
            let k = key.get_ref().as_ref();
            match k {
                "machine" => read_header(&mut r, &mut d, value),
                "line" => {
                    for (t, s) in r.tables(value, "line") {
                        if let Some(l) = r.line(t, s) {
                            d.lines.push(l);
                        }
                    }
                }
                "image" => {
                    for (t, s) in r.tables(value, "image") {
                        if let Some(i) = r.image(t, s) {
                            d.images.push(i);
                        }
                    }
                }
                _ => match sections.iter().find(|(name, _)| *name == k) {
                    Some(_) => {}
                    None => r.error(
                        &key.span(),
                        format!("unknown table `{k}`"),
                        Some(
                            "a description has [machine], [[space]], [[cluster]], [[memory]], \
                             [[device]], [[line]] and [[image]]"
                                .into(),
                        ),
                    ),
                },
            }
        }
        for (name, section) in sections {
            if let Some(value) = root.get_ref().get(name) {
                for (t, s) in r.tables(value, name) {
                    if let Some(o) = r.object(section, t, s) {
                        d.objects.push(o);
                    }
                }
            }
        }
        if r.errors.is_empty() {
            Ok(d)
        } else {
            Err(Diagnostics(r.errors))
        }
    }
}

fn read_header(r: &mut Reader, d: &mut Description, value: &Spanned<DeValue>) {
    let DeValue::Table(t) = value.get_ref() else {
        r.error(
            &value.span(),
            "`machine` is a table".into(),
            Some("write it as [machine]".into()),
        );
        return;
    };
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "name" => d.name = r.string(v, "`name`"),
            "doc" => d.doc = r.string(v, "`doc`").map(|s| s.value),
            "bios-base" => d.bios_base = r.integer(v, "`bios-base`").map(|s| s.value),
            "kernel-cluster" => d.kernel_cluster = r.string(v, "`kernel-cluster`"),
            "reproducible" => d.reproducible = r.bool(v, "`reproducible`").unwrap_or(false),
            other => r.error(
                &key.span(),
                format!("[machine] has no key `{other}`"),
                Some("its keys are: name, doc, bios-base, kernel-cluster, reproducible".into()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Description, Diagnostics> {
        Description::parse(Source::new("t.toml", text))
    }

    #[test]
    fn machine_reproducible_is_a_boolean_key() {
        assert!(
            parse("[machine]\nreproducible = true\n")
                .unwrap()
                .reproducible
        );
        assert!(!parse("[machine]\nname = \"m\"\n").unwrap().reproducible);
        assert!(parse("[machine]\nreproducible = 1\n").is_err());
    }

    #[test]
    fn objects_keep_their_placement_and_properties() {
        let d = parse(
            "[[space]]\nid = \"sys\"\n[[memory]]\nid = \"ram\"\ntype = \"ram\"\nspace = \"sys\"\nbase = 0x8000_0000\nsize = \"128M\"\n",
        )
        .unwrap();
        assert_eq!(d.objects.len(), 2);
        let ram = &d.objects[1];
        assert_eq!(ram.maps[0].base.value, 0x8000_0000);
        assert_eq!(ram.props[0].0.value, "size");
        assert_eq!(ram.props[0].1.value, Value::from("128M"));
        assert_eq!(d.source.line_col(ram.props[0].0.span.start), (8, 1));
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let err = parse("[[device]]\nid = \n").unwrap_err();
        let loc = err.first().unwrap().location.clone().unwrap();
        assert_eq!((loc.line, loc.file.as_str()), (2, "t.toml"));
    }

    #[test]
    fn cli_values_parse_as_toml_or_fall_back_to_text() {
        assert_eq!(parse_cli_value("2"), Value::from(2));
        assert_eq!(parse_cli_value("0x10"), Value::from(16));
        assert_eq!(parse_cli_value("true"), Value::from(true));
        assert_eq!(parse_cli_value("256M"), Value::from("256M"));
        assert_eq!(parse_cli_value("-3"), Value::from(-3));
    }
}
