//! Where each UART's bytes go: `--serial` specs, and the default of every
//! UART on stdout, lines labelled by device path when there are several.

use std::path::PathBuf;
use std::sync::Arc;

use chimera_devices::{
    stdin_bytes, BufferBackend, CharBackend, FileBackend, NullBackend, StdoutBackend,
};
use chimera_engine::{ExitRequest, RunControl};

/// A backend choice for one UART.
#[derive(Debug, Clone)]
pub enum SerialSpec {
    /// Standard output.
    Stdio,
    /// A file, truncated at start.
    File(PathBuf),
    /// Nowhere.
    None,
    /// An in-memory buffer (tests, the protocol).
    Buffer(Arc<BufferBackend>),
}

impl SerialSpec {
    /// Parses `stdio`, `file:PATH` or `none`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "stdio" => Ok(SerialSpec::Stdio),
            "none" | "null" => Ok(SerialSpec::None),
            _ => match text.strip_prefix("file:") {
                Some(p) if !p.is_empty() => Ok(SerialSpec::File(PathBuf::from(p))),
                _ => Err(format!(
                    "`{text}` is not a serial backend: use stdio, file:PATH or none"
                )),
            },
        }
    }
}

/// The `--serial` options of a run: specs for named UARTs, and specs for
/// the unnamed ones in order.
#[derive(Debug, Clone, Default)]
pub struct SerialConfig {
    named: Vec<(String, SerialSpec)>,
    ordered: Vec<SerialSpec>,
    stdin: bool,
}

impl SerialConfig {
    /// Adds one `--serial` argument: `SPEC` or `DEVICE=SPEC`, where DEVICE
    /// is a path relative to `/machine` written with `/` or `.`.
    pub fn add(&mut self, arg: &str) -> Result<(), String> {
        match arg.split_once('=') {
            Some((device, spec)) => {
                let device = device.replace('.', "/");
                self.named.push((device, SerialSpec::parse(spec)?));
            }
            None => self.ordered.push(SerialSpec::parse(arg)?),
        }
        Ok(())
    }

    /// Whether every UART or console named is one of `uarts` or
    /// `consoles` (paths relative to `/machine`).
    ///
    /// # Errors
    ///
    /// A sentence naming the first unknown one and the known ones.
    pub fn check_names(&self, uarts: &[String], consoles: &[String]) -> Result<(), String> {
        for (path, _) in &self.named {
            if !uarts.contains(path) && !consoles.contains(path) {
                let known: Vec<&str> = uarts.iter().chain(consoles).map(String::as_str).collect();
                return Err(format!(
                    "--serial names `{path}`, which is no UART or console of this machine \
                     (they are: {})",
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Sends the UART at `path` (relative to `/machine`) to `spec`.
    pub fn set(&mut self, path: &str, spec: SerialSpec) {
        self.named.push((path.to_string(), spec));
    }

    /// The spec for each UART, given their relative paths in order.
    pub fn resolve(&self, uarts: &[String]) -> Vec<SerialSpec> {
        let mut ordered = self.ordered.iter();
        uarts
            .iter()
            .map(|path| {
                self.named
                    .iter()
                    .rev()
                    .find(|(p, _)| p == path)
                    .map(|(_, s)| s.clone())
                    .or_else(|| ordered.next().cloned())
                    .unwrap_or(SerialSpec::Stdio)
            })
            .collect()
    }

    /// Makes the first UART on stdout also read standard input, where
    /// Ctrl-A X quits (as in QEMU).
    pub fn with_stdin(mut self) -> Self {
        self.stdin = true;
        self
    }

    /// The backends for UARTs at `uarts`; stdout lines are labelled when
    /// more than one UART writes there. Ctrl-A X on the console that reads
    /// standard input asks `control` to quit.
    pub fn backends(
        &self,
        uarts: &[String],
        control: &Arc<RunControl>,
    ) -> Result<Vec<Arc<dyn CharBackend>>, String> {
        let specs = self.resolve(uarts);
        let labelled = Self::labelled(&specs);
        let mut stdin = self.stdin.then(|| control.clone());
        specs
            .into_iter()
            .zip(uarts)
            .map(|(spec, path)| {
                let label = labelled.then(|| path.clone());
                Self::backend(spec, label, &mut stdin)
            })
            .collect()
    }

    /// The backend of a CPU's host console (semihosting) at `path`: the
    /// one named for it, else its own labelled stdout when UART lines are
    /// labelled, else the first UART's (both go to stdout, as in QEMU).
    pub fn host_console(
        &self,
        path: &str,
        uarts: &[String],
        uart_backends: &[Arc<dyn CharBackend>],
    ) -> Result<Arc<dyn CharBackend>, String> {
        if let Some((_, spec)) = self.named.iter().rev().find(|(p, _)| p == path) {
            return Self::backend(spec.clone(), None, &mut None);
        }
        if Self::labelled(&self.resolve(uarts)) {
            return Ok(Arc::new(StdoutBackend::new(Some(path.to_string()))));
        }
        Ok(match uart_backends.first() {
            Some(b) => b.clone(),
            None => Arc::new(StdoutBackend::new(None)),
        })
    }

    fn labelled(specs: &[SerialSpec]) -> bool {
        specs
            .iter()
            .filter(|s| matches!(s, SerialSpec::Stdio))
            .count()
            > 1
    }

    fn backend(
        spec: SerialSpec,
        label: Option<String>,
        stdin: &mut Option<Arc<RunControl>>,
    ) -> Result<Arc<dyn CharBackend>, String> {
        Ok(match spec {
            SerialSpec::Stdio => match stdin.take() {
                Some(control) => Arc::new(StdoutBackend::with_input(
                    label,
                    stdin_bytes(move || control.request(ExitRequest::Quit)),
                )),
                None => Arc::new(StdoutBackend::new(label)),
            },
            SerialSpec::File(p) => Arc::new(
                FileBackend::create(&p)
                    .map_err(|e| format!("cannot create `{}`: {e}", p.display()))?,
            ),
            SerialSpec::None => Arc::new(NullBackend),
            SerialSpec::Buffer(b) => b,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_specs_win_and_unnamed_go_in_order() {
        let mut c = SerialConfig::default();
        c.add("mcu.uart0=none").unwrap();
        c.add("file:/tmp/x").unwrap();
        let specs = c.resolve(&["app/uart0".into(), "mcu/uart0".into(), "uart2".into()]);
        assert!(matches!(specs[0], SerialSpec::File(_)));
        assert!(matches!(specs[1], SerialSpec::None));
        assert!(matches!(specs[2], SerialSpec::Stdio));
        assert!(c.add("tcp:1").is_err());
    }
}
