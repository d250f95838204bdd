//! Lines: the IRQ/GPIO wires from an output of one object to an input of
//! another.
//!
//! A [`Line`] is the sending end handed to the output's owner; the receiving
//! object implements [`LineSink`]. A line that is not connected is a no-op,
//! so devices never check whether they are wired.

use std::fmt;
use std::sync::Arc;

/// The receiving side of lines: an object with numbered inputs.
pub trait LineSink: Send + Sync {
    /// Input `pin` changed to `level`.
    fn set_input(&self, pin: u32, level: bool);
}

/// The sending end of a wire to one input of one object.
#[derive(Clone, Default)]
pub struct Line {
    target: Option<(Arc<dyn LineSink>, u32)>,
}

impl Line {
    /// A line connected to input `pin` of `sink`.
    pub fn new(sink: Arc<dyn LineSink>, pin: u32) -> Self {
        Line {
            target: Some((sink, pin)),
        }
    }

    /// A line that goes nowhere.
    pub fn disconnected() -> Self {
        Line { target: None }
    }

    /// Whether the line reaches an input.
    pub fn is_connected(&self) -> bool {
        self.target.is_some()
    }

    /// Drives the line to `level`.
    pub fn set(&self, level: bool) {
        if let Some((sink, pin)) = &self.target {
            sink.set_input(*pin, level);
        }
    }

    /// Drives the line high.
    pub fn raise(&self) {
        self.set(true);
    }

    /// Drives the line low.
    pub fn lower(&self) {
        self.set(false);
    }
}

impl fmt::Debug for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Some((_, pin)) => write!(f, "Line(-> input {pin})"),
            None => f.write_str("Line(disconnected)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Recorder(Mutex<Vec<(u32, bool)>>);

    impl LineSink for Recorder {
        fn set_input(&self, pin: u32, level: bool) {
            self.0.lock().unwrap().push((pin, level));
        }
    }

    #[test]
    fn a_line_delivers_levels_to_its_input() {
        let sink = Arc::new(Recorder(Mutex::new(Vec::new())));
        let line = Line::new(sink.clone(), 7);
        line.raise();
        line.lower();
        assert_eq!(*sink.0.lock().unwrap(), vec![(7, true), (7, false)]);
        Line::disconnected().raise();
    }
}
