//! [`HostConsole`]: where a CPU's own host-facing output goes, for
//! debug interfaces that are part of the architecture rather than a
//! device on a bus (ARM semihosting).

/// A sink for text a CPU sends to the host.
pub trait HostConsole: Send + Sync {
    /// Writes bytes as the guest gave them.
    fn write(&self, bytes: &[u8]);
}

impl std::fmt::Debug for dyn HostConsole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostConsole")
    }
}
