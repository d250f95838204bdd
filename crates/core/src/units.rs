//! Value types for properties that people write by hand: sizes such as
//! `"128M"` as well as plain byte counts.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A size in bytes, written as an integer or as a string with a binary
/// suffix: `4096`, `"64K"`, `"128M"`, `"1G"` (also `KiB`, `MiB`, `GiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `"128M"`-style text.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let (number, suffix) = if t.starts_with("0x") || t.starts_with("0X") {
            (t, "")
        } else {
            let end = t
                .find(|c: char| !(c.is_ascii_digit() || c == '_'))
                .unwrap_or(t.len());
            (&t[..end], t[end..].trim())
        };
        let number = number.replace('_', "");
        let value = match number
            .strip_prefix("0x")
            .or_else(|| number.strip_prefix("0X"))
        {
            Some(hex) => u64::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u64>().ok()?,
        };
        let shift = match suffix.to_ascii_uppercase().as_str() {
            "" | "B" => 0,
            "K" | "KB" | "KIB" => 10,
            "M" | "MB" | "MIB" => 20,
            "G" | "GB" | "GIB" => 30,
            "T" | "TB" | "TIB" => 40,
            _ => return None,
        };
        value.checked_mul(1u64 << shift).map(ByteSize)
    }

    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        for (shift, suffix) in [(30, "G"), (20, "M"), (10, "K")] {
            if v != 0 && v % (1 << shift) == 0 {
                return write!(f, "{}{suffix}", v >> shift);
            }
        }
        write!(f, "{v}")
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(ByteSize(n)),
            Raw::Text(t) => ByteSize::parse(&t).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{t}` is not a size: write bytes, or a number with K, M or G"
                ))
            }),
        }
    }
}

impl JsonSchema for ByteSize {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A size in bytes: an integer, or a string such as \"64K\", \"128M\", \"1G\".",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^(0[xX][0-9a-fA-F_]+|[0-9_]+ *([KMGT]i?B?|B)?)$" }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(ByteSize::parse("128M"), Some(ByteSize(128 << 20)));
        assert_eq!(ByteSize::parse("64KiB"), Some(ByteSize(64 << 10)));
        assert_eq!(ByteSize::parse("0x1000"), Some(ByteSize(4096)));
        assert_eq!(ByteSize::parse("1_024"), Some(ByteSize(1024)));
        assert_eq!(ByteSize::parse("12Q"), None);
        assert_eq!(ByteSize::parse("99999999999G"), None);
        assert_eq!(ByteSize(128 << 20).to_string(), "128M");
    }
}
