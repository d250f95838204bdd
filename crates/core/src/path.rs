//! Object paths: where an object sits in the composition tree.
//!
//! A path is derived from ids only (`/machine/app/cpu0`), never from the
//! order objects were made in, so the same description always gives the
//! same tree.

use std::fmt;

use crate::CoreError;

/// A checked, absolute path in the composition tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ObjectPath(String);

/// The root every machine's objects hang from.
pub const MACHINE_ROOT: &str = "/machine";

impl ObjectPath {
    /// The machine's root, `/machine`.
    pub fn machine() -> Self {
        ObjectPath(MACHINE_ROOT.to_string())
    }

    /// Parses an absolute path such as `/machine/app/cpu0`.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let invalid = |reason| CoreError::InvalidPath {
            path: text.to_string(),
            reason,
        };
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| invalid("a path starts with `/`"))?;
        if rest.is_empty() {
            return Ok(ObjectPath("/".to_string()));
        }
        for segment in rest.split('/') {
            if !is_valid_id(segment) {
                return Err(invalid("each segment is an id of [a-z0-9_-]"));
            }
        }
        Ok(ObjectPath(text.to_string()))
    }

    /// Resolves `text` against `/machine` when it is relative (`app/cpu0`),
    /// or parses it when it is absolute.
    pub fn resolve(text: &str) -> Result<Self, CoreError> {
        if text.starts_with('/') {
            Self::parse(text)
        } else {
            Self::parse(&format!("{MACHINE_ROOT}/{text}"))
        }
    }

    /// The path of the child with this id.
    pub fn child(&self, id: &str) -> Result<Self, CoreError> {
        if !is_valid_id(id) {
            return Err(CoreError::InvalidId { id: id.to_string() });
        }
        if self.0 == "/" {
            Ok(ObjectPath(format!("/{id}")))
        } else {
            Ok(ObjectPath(format!("{}/{id}", self.0)))
        }
    }

    /// The parent path, `None` for `/`.
    pub fn parent(&self) -> Option<Self> {
        let cut = self.0.rfind('/')?;
        if self.0 == "/" {
            None
        } else if cut == 0 {
            Some(ObjectPath("/".to_string()))
        } else {
            Some(ObjectPath(self.0[..cut].to_string()))
        }
    }

    /// The last segment (the object's id).
    pub fn id(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// The path relative to `/machine` (`app/cpu0`), or the whole path.
    pub fn relative(&self) -> &str {
        self.0
            .strip_prefix(MACHINE_ROOT)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(&self.0)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Number of segments below `/`.
    pub fn depth(&self) -> usize {
        self.0.split('/').filter(|s| !s.is_empty()).count()
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `id` can be a path segment: a lower-case letter, then letters,
/// digits, `_` or `-`.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_paths_are_derived_from_ids() {
        let cpu = ObjectPath::machine()
            .child("app")
            .unwrap()
            .child("cpu0")
            .unwrap();
        assert_eq!(cpu.as_str(), "/machine/app/cpu0");
        assert_eq!(cpu.id(), "cpu0");
        assert_eq!(cpu.relative(), "app/cpu0");
        assert_eq!(cpu.parent().unwrap().as_str(), "/machine/app");
        assert_eq!(ObjectPath::resolve("app/cpu0").unwrap(), cpu);
    }

    #[test]
    fn malformed_paths_and_ids_are_refused() {
        assert!(ObjectPath::parse("machine").is_err());
        assert!(ObjectPath::parse("/machine//x").is_err());
        assert!(ObjectPath::parse("/Machine").is_err());
        assert!(ObjectPath::machine().child("0uart").is_err());
        assert!(ObjectPath::machine().child("a/b").is_err());
    }
}
