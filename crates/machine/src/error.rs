//! Errors of building a machine, each tied to the part of the description
//! it is about so the loader can point at the right line.

use chimera_core::CoreError;
use chimera_memory::MapError;

/// What a build error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The machine as a whole.
    Machine,
    /// An object, by id.
    Object(String),
    /// A property of an object.
    Property(String, String),
    /// The `space` a cluster sees.
    ClusterSpace(String),
    /// Placement `index` of an object.
    Map(String, usize),
    /// Line `index`, its `from` (false) or `to` (true) end.
    Line(usize, bool),
    /// Image `index`.
    Image(usize),
}

/// Why a machine cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildErrorKind {
    /// No type of that name.
    #[error("unknown type `{name}`")]
    UnknownType {
        /// The name given.
        name: String,
        /// A registered name close to it.
        suggestion: Option<String>,
    },
    /// A type used in the wrong table.
    #[error("`{name}` is a {actual} type, not a {expected} type")]
    WrongKind {
        /// The type.
        name: String,
        /// What the table wants.
        expected: &'static str,
        /// What the type is.
        actual: &'static str,
    },
    /// An id used twice.
    #[error("the id `{id}` is already used")]
    DuplicateId {
        /// The id.
        id: String,
    },
    /// The object model refused something.
    #[error("{0}")]
    Core(#[from] CoreError),
    /// A property that does not exist, with a suggestion.
    #[error("`{type_name}` has no property `{property}`")]
    UnknownProperty {
        /// The object's type.
        type_name: String,
        /// The property given.
        property: String,
        /// A property close to it.
        suggestion: Option<String>,
    },
    /// A space that was never declared.
    #[error("no address space `{space}`")]
    UnknownSpace {
        /// The id given.
        space: String,
        /// The spaces that exist.
        known: Vec<String>,
    },
    /// A cluster that was never declared.
    #[error("no cluster `{cluster}`")]
    UnknownCluster {
        /// The id given.
        cluster: String,
        /// The clusters that exist.
        known: Vec<String>,
    },
    /// An id that no declaration made.
    #[error("no object `{id}` has been declared")]
    Undeclared {
        /// The id given.
        id: String,
    },
    /// A line end naming an object that does not exist.
    #[error("no object `{object}` for this line to reach")]
    UnknownObject {
        /// The object path given.
        object: String,
        /// The objects that exist.
        known: Vec<String>,
    },
    /// A cluster without a space.
    #[error("cluster `{id}` does not say which address space its CPUs see")]
    ClusterWithoutSpace {
        /// The cluster.
        id: String,
    },
    /// Two regions overlap at one priority, or a region does not fit.
    #[error("{0}")]
    Map(#[from] MapError),
    /// An object that cannot be mapped, or more placements than windows.
    #[error("`{id}` has {windows} register window(s) but {maps} placement(s)")]
    TooManyMaps {
        /// The object.
        id: String,
        /// Windows it has.
        windows: usize,
        /// Placements given.
        maps: usize,
    },
    /// An image file that is not there.
    #[error("image `{path}` does not exist")]
    ImageMissing {
        /// The path as resolved.
        path: String,
    },
    /// An image that cannot be used.
    #[error("image `{path}`: {reason}")]
    ImageInvalid {
        /// The path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The device tree cannot describe the machine.
    #[error("{0}")]
    DeviceTree(#[from] crate::fdt::FdtError),
    /// Firmware boot cannot be set up.
    #[error("firmware boot: {0}")]
    Boot(String),
    /// A device or cluster type refused its configuration.
    #[error("`{id}`: {message}")]
    Refused {
        /// The object.
        id: String,
        /// What its type said.
        message: String,
    },
}

impl BuildErrorKind {
    /// How to put the mistake right.
    pub fn hint(&self) -> Option<String> {
        match self {
            BuildErrorKind::UnknownType { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`? `chimera types` lists every type"),
                None => "`chimera types` lists every type".into(),
            }),
            BuildErrorKind::WrongKind { expected, .. } => {
                Some(format!("declare it in the table for its kind, or pick a {expected} type"))
            }
            BuildErrorKind::DuplicateId { .. } => {
                Some("ids name objects in the tree and must be unique".into())
            }
            BuildErrorKind::UnknownProperty {
                type_name,
                suggestion,
                ..
            } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`? `chimera describe {type_name}` lists its properties"),
                None => format!("`chimera describe {type_name}` lists its properties"),
            }),
            BuildErrorKind::Core(CoreError::WrongValueType { expected, .. }) => {
                Some(format!("write a value of type {expected}"))
            }
            BuildErrorKind::Core(CoreError::MissingProperty { property, .. }) => {
                Some(format!("add `{property} = ...`"))
            }
            BuildErrorKind::Core(CoreError::UnknownPin { .. })
            | BuildErrorKind::Core(CoreError::InvalidPinRef { .. }) => {
                Some("`chimera describe TYPE` lists a type's pins".into())
            }
            BuildErrorKind::UnknownSpace { known, .. } => Some(list_hint("spaces", known)),
            BuildErrorKind::UnknownCluster { known, .. } => Some(list_hint("clusters", known)),
            BuildErrorKind::UnknownObject { known, .. } => Some(list_hint("objects", known)),
            BuildErrorKind::ClusterWithoutSpace { .. } => {
                Some("add `space = \"ID\"` naming a [[space]]".into())
            }
            BuildErrorKind::Map(MapError::Overlap { .. }) => Some(
                "move one region (`base`), or give one a higher `priority` so it wins where they overlap"
                    .into(),
            ),
            BuildErrorKind::ImageMissing { .. } => {
                Some("image paths are relative to the description's directory".into())
            }
            _ => None,
        }
    }
}

fn list_hint(what: &str, known: &[String]) -> String {
    if known.is_empty() {
        format!("no {what} are declared")
    } else {
        format!("the {what} are: {}", known.join(", "))
    }
}

/// A build error and what it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct BuildError {
    /// What it is about.
    pub subject: Subject,
    /// What is wrong (boxed: errors travel far and should stay small).
    pub kind: Box<BuildErrorKind>,
}

impl BuildError {
    /// An error about `subject`.
    pub fn new(subject: Subject, kind: impl Into<BuildErrorKind>) -> Self {
        BuildError {
            subject,
            kind: Box::new(kind.into()),
        }
    }
}
