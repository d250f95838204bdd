//! Pins: the named inputs and outputs of an object that lines connect.
//!
//! A pin is scalar (`irq`) or an array (`source[0..N]`); a reference to one
//! is written `OBJECT.PIN` or `OBJECT.PIN[INDEX]`, where OBJECT is a path
//! relative to `/machine` (`app/cpu0.mtip`, `plic.source[10]`).

use std::fmt;

use serde::Serialize;

use crate::{CoreError, ObjectPath};

/// Which way a pin points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinDirection {
    /// Driven by another object's output.
    Input,
    /// Drives other objects' inputs.
    Output,
}

impl PinDirection {
    /// `input` or `output`.
    pub fn name(self) -> &'static str {
        match self {
            PinDirection::Input => "input",
            PinDirection::Output => "output",
        }
    }
}

/// A pin an object offers, as its type declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinInfo {
    /// The pin's name.
    pub name: String,
    /// Input or output.
    pub direction: PinDirection,
    /// 1 for a scalar pin, N for an array indexed `0..N`.
    pub count: u32,
    /// One line saying what the pin carries.
    pub doc: String,
}

impl PinInfo {
    /// A scalar input.
    pub fn input(name: &str, doc: &str) -> Self {
        Self::array(name, PinDirection::Input, 1, doc)
    }

    /// A scalar output.
    pub fn output(name: &str, doc: &str) -> Self {
        Self::array(name, PinDirection::Output, 1, doc)
    }

    /// A pin array of `count` pins.
    pub fn array(name: &str, direction: PinDirection, count: u32, doc: &str) -> Self {
        PinInfo {
            name: name.to_string(),
            direction,
            count,
            doc: doc.to_string(),
        }
    }

    /// How the pin is written in a reference (`irq` or `source[0..32]`).
    pub fn display_name(&self) -> String {
        if self.count == 1 {
            self.name.clone()
        } else {
            format!("{}[0..{}]", self.name, self.count)
        }
    }
}

/// A reference to one pin of one object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PinRef {
    /// The object.
    pub object: ObjectPath,
    /// The pin's name.
    pub pin: String,
    /// The index into a pin array; `None` for a scalar pin.
    pub index: Option<u32>,
}

impl PinRef {
    /// Parses `OBJECT.PIN` or `OBJECT.PIN[INDEX]`.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let bad = || CoreError::InvalidPinRef {
            text: text.to_string(),
        };
        let (object, pin) = text.rsplit_once('.').ok_or_else(bad)?;
        let object = ObjectPath::resolve(object).map_err(|_| bad())?;
        let (pin, index) = match pin.strip_suffix(']') {
            Some(body) => {
                let (name, index) = body.split_once('[').ok_or_else(bad)?;
                (name, Some(index.parse::<u32>().map_err(|_| bad())?))
            }
            None => (pin, None),
        };
        if !crate::path::is_valid_id(pin) {
            return Err(bad());
        }
        Ok(PinRef {
            object,
            pin: pin.to_string(),
            index,
        })
    }

    /// Finds the pin among `pins` in the given direction; returns the flat
    /// index into that pin (0 for a scalar).
    pub fn check(
        &self,
        type_name: &str,
        pins: &[PinInfo],
        direction: PinDirection,
    ) -> Result<u32, CoreError> {
        let found = pins
            .iter()
            .find(|p| p.name == self.pin && p.direction == direction);
        let index = match (found, self.index) {
            (Some(p), None) if p.count == 1 => Some(0),
            // An array of one pin may be written with or without its index.
            (Some(p), Some(i)) if i < p.count => Some(i),
            _ => None,
        };
        index.ok_or_else(|| {
            let names: Vec<String> = pins
                .iter()
                .filter(|p| p.direction == direction)
                .map(PinInfo::display_name)
                .collect();
            CoreError::UnknownPin {
                path: self.object.clone(),
                type_name: type_name.to_string(),
                direction: direction.name(),
                pin: self.pin_text(),
                known: if names.is_empty() {
                    format!("; it has no {} pins", direction.name())
                } else {
                    format!("; its {} pins are: {}", direction.name(), names.join(", "))
                },
            }
        })
    }

    /// The pin part as written (`irq`, `source[3]`).
    pub fn pin_text(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.pin),
            None => self.pin.clone(),
        }
    }
}

impl fmt::Display for PinRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.object.relative(), self.pin_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_refs_parse_scalar_and_indexed_forms() {
        let r = PinRef::parse("app/cpu0.mtip").unwrap();
        assert_eq!(r.object.as_str(), "/machine/app/cpu0");
        assert_eq!(r.pin, "mtip");
        assert_eq!(r.index, None);
        let r = PinRef::parse("plic.source[10]").unwrap();
        assert_eq!(r.index, Some(10));
        assert_eq!(r.to_string(), "plic.source[10]");
        assert!(PinRef::parse("plic").is_err());
        assert!(PinRef::parse("plic.source[x]").is_err());
    }

    #[test]
    fn unknown_pin_lists_the_pins_that_exist() {
        let pins = [
            PinInfo::output("irq", "interrupt"),
            PinInfo::array("source", PinDirection::Input, 4, "sources"),
        ];
        let r = PinRef::parse("plic.source[4]").unwrap();
        let err = r.check("plic", &pins, PinDirection::Input).unwrap_err();
        assert!(err.to_string().contains("source[0..4]"), "{err}");
        let r = PinRef::parse("plic.source[3]").unwrap();
        assert_eq!(r.check("plic", &pins, PinDirection::Input).unwrap(), 3);
    }
}
