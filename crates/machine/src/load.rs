//! From a description to a builder: every declaration goes through the
//! builder API, and every error comes back with the file:line:col of the
//! part of the description it is about.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chimera_core::ObjectKind;

use crate::builder::{ImageSpec, MachineBuilder, Placement};
use crate::description::{Description, Section};
use crate::diag::{Diagnostic, Diagnostics};
use crate::error::{BuildError, Subject};
use crate::registry::Registry;
use crate::serial::SerialConfig;
use crate::Machine;

/// A description turned into a builder, with what is needed to point back
/// into its text.
#[derive(Debug)]
pub struct Loaded {
    /// The builder, ready for more changes (`--set`, `--kernel`).
    pub builder: MachineBuilder,
    /// The description it came from.
    pub description: Description,
}

fn kinds_for(section: Section) -> &'static [ObjectKind] {
    match section {
        Section::Space => &[ObjectKind::AddressSpace],
        Section::Cluster => &[ObjectKind::Cluster],
        Section::Memory => &[ObjectKind::Memory],
        Section::Device => &[ObjectKind::Device],
    }
}

/// Turns a build error into a diagnostic located in description `d`.
pub fn diagnose(d: &Description, e: &BuildError) -> Diagnostic {
    let obj = |id: &str| d.objects.iter().find(|o| o.id.value == id);
    let span = match &e.subject {
        Subject::Machine => None,
        Subject::Object(id) => obj(id).map(|o| {
            if matches!(
                *e.kind,
                crate::BuildErrorKind::UnknownType { .. } | crate::BuildErrorKind::WrongKind { .. }
            ) {
                o.type_name.span.clone()
            } else {
                o.id.span.clone()
            }
        }),
        Subject::Property(id, name) => obj(id).and_then(|o| {
            o.props
                .iter()
                .find(|(k, _)| k.value == *name)
                .map(|(k, v)| {
                    if matches!(*e.kind, crate::BuildErrorKind::UnknownProperty { .. }) {
                        k.span.clone()
                    } else {
                        v.span.clone()
                    }
                })
        }),
        Subject::ClusterSpace(id) => obj(id).and_then(|o| o.space.as_ref().map(|s| s.span.clone())),
        Subject::Map(id, i) => obj(id).and_then(|o| {
            o.maps.get(*i).map(|m| {
                if matches!(*e.kind, crate::BuildErrorKind::UnknownSpace { .. }) {
                    m.space.span.clone()
                } else {
                    m.base.span.clone()
                }
            })
        }),
        Subject::Line(i, to) => d.lines.get(*i).map(|l| {
            if *to {
                l.to.span.clone()
            } else {
                l.from.span.clone()
            }
        }),
        Subject::Image(i) => d.images.get(*i).map(|im| {
            if matches!(*e.kind, crate::BuildErrorKind::UnknownCluster { .. }) {
                im.cluster.span.clone()
            } else {
                im.path.span.clone()
            }
        }),
    };
    Diagnostic {
        location: span.map(|s| d.source.locate(&s)),
        message: e.kind.to_string(),
        hint: e.kind.hint(),
    }
}

impl Loaded {
    /// Turns a build error into a diagnostic located in the description.
    pub fn diagnose(&self, e: &BuildError) -> Diagnostic {
        diagnose(&self.description, e)
    }

    /// Builds the machine, reporting errors against the description.
    pub fn realize(self, serial: &SerialConfig) -> Result<Machine, Diagnostics> {
        let description = self.description;
        self.builder
            .realize(serial)
            .map_err(|e| Diagnostics(vec![diagnose(&description, &e)]))
    }

    /// The cluster `--kernel` loads into when no cluster is named.
    pub fn kernel_cluster(&self) -> Option<String> {
        self.description
            .kernel_cluster
            .as_ref()
            .map(|s| s.value.clone())
            .or_else(|| self.builder.clusters().into_iter().next())
    }
}

/// Checks a description against the registry and declares it on a fresh
/// builder. `base_dir` is where relative image paths start.
pub fn load(
    description: Description,
    registry: Arc<Registry>,
    base_dir: &Path,
) -> Result<Loaded, Diagnostics> {
    let name = description
        .name
        .as_ref()
        .map_or("machine".to_string(), |n| n.value.clone());
    let mut loaded = Loaded {
        builder: MachineBuilder::new(&name, registry),
        description,
    };
    let mut errors = Vec::new();
    let objects = loaded.description.objects.clone();
    for o in &objects {
        let id = &o.id.value;
        let step = |b: &mut MachineBuilder| -> Result<(), BuildError> {
            b.add_object(id, &o.type_name.value, kinds_for(o.section))?;
            Ok(())
        };
        if let Err(e) = step(&mut loaded.builder) {
            let diagnostic = match (&*e.kind, objects.iter().find(|f| f.id.value == *id)) {
                (crate::BuildErrorKind::DuplicateId { .. }, Some(first)) => {
                    let at = loaded.description.source.locate(&first.id.span);
                    Diagnostic::at(
                        loaded.description.source.locate(&o.id.span),
                        e.kind.to_string(),
                        Some(format!(
                            "`{id}` is first declared at {at}; ids must be unique"
                        )),
                    )
                }
                _ => loaded.diagnose(&e),
            };
            errors.push(diagnostic);
            continue;
        }
        for (k, v) in &o.props {
            if let Err(e) = loaded.builder.set_property(id, &k.value, v.value.clone()) {
                errors.push(loaded.diagnose(&e));
            }
        }
        if let Some(space) = &o.space {
            if o.section == Section::Cluster {
                if let Err(e) = loaded.builder.set_cluster_space(id, &space.value) {
                    errors.push(loaded.diagnose(&e));
                }
            }
        }
        for m in &o.maps {
            let placement = Placement {
                space: m.space.value.clone(),
                base: m.base.value,
                priority: m.priority,
            };
            if let Err(e) = loaded.builder.map(id, placement) {
                errors.push(loaded.diagnose(&e));
            }
        }
    }
    for l in loaded.description.lines.clone() {
        loaded.builder.connect(&l.from.value, &l.to.value);
    }
    for im in loaded.description.images.clone() {
        let spec = ImageSpec {
            cluster: im.cluster.value.clone(),
            path: resolve_path(base_dir, &im.path.value),
            addr: im.addr.as_ref().map(|a| a.value),
            entry: im.entry,
        };
        if let Err(e) = loaded.builder.add_image(spec) {
            errors.push(loaded.diagnose(&e));
        }
    }
    if loaded.description.reproducible {
        loaded.builder.pin_host_inputs();
    }
    if let Some(kc) = &loaded.description.kernel_cluster {
        let clusters = loaded.builder.clusters();
        if !clusters.contains(&kc.value) {
            errors.push(Diagnostic::at(
                loaded.description.source.locate(&kc.span),
                format!("`kernel-cluster` names no cluster: `{}`", kc.value),
                Some(format!("the clusters are: {}", clusters.join(", "))),
            ));
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(Diagnostics(errors))
    }
}

fn resolve_path(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}
