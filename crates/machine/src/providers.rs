//! The architecture crates compiled in: each gives its cluster types and
//! its own devices.

use std::sync::Arc;

use chimera_devices::DeviceType;
use chimera_engine::ClusterType;

/// Cluster types of every frontend compiled in.
pub fn cluster_types() -> Vec<Arc<dyn ClusterType>> {
    let mut types = chimera_riscv::cluster_types();
    types.extend(chimera_armv7m::cluster_types());
    types
}

/// Architecture-specific device types (interrupt controllers, timers).
pub fn device_types() -> Vec<Arc<dyn DeviceType>> {
    chimera_riscv::device_types()
}
