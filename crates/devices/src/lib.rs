//! Architecture-neutral devices (UARTs, the test finisher, …) and the
//! contract every device type follows to be built into a machine.
//!
//! A device is a small struct that takes register reads and writes and
//! drives lines; it knows nothing of buses or machines. Mapping it and
//! wiring it is the builder's job ([`model`]).

pub mod chardev;
pub mod cmsdk_timer;
pub mod cmsdk_uart;
pub mod goldfish_rtc;
pub mod mailbox;
pub mod model;
pub mod ns16550a;
pub mod reset_controller;
pub mod test_finisher;
#[cfg(feature = "test-devices")]
pub mod test_panic;
pub mod unimplemented;

pub use chardev::{
    stdin_bytes, BufferBackend, CharBackend, FileBackend, NullBackend, StdoutBackend,
};
pub use model::{
    parse_config, DeviceEnv, DeviceParts, DeviceType, Locked, MmioWindow, RegisterBlock,
};

/// Every device type of this crate, for the machine's registry.
pub fn device_types() -> Vec<std::sync::Arc<dyn DeviceType>> {
    #[allow(unused_mut)]
    let mut types: Vec<std::sync::Arc<dyn DeviceType>> = vec![
        std::sync::Arc::new(ns16550a::Ns16550aType),
        std::sync::Arc::new(test_finisher::TestFinisherType),
        std::sync::Arc::new(mailbox::MailboxType),
        std::sync::Arc::new(reset_controller::ResetControllerType),
        std::sync::Arc::new(cmsdk_uart::CmsdkApbUartType),
        std::sync::Arc::new(cmsdk_timer::CmsdkApbTimerType),
        std::sync::Arc::new(unimplemented::UnimplementedType),
        std::sync::Arc::new(goldfish_rtc::GoldfishRtcType),
    ];
    #[cfg(feature = "test-devices")]
    types.push(std::sync::Arc::new(test_panic::TestPanicType));
    types
}
