//! Fuzzes the file parsers: ~/.aws/credentials and ~/.aws/config, and Java properties
//! (hotel.conf, cloud.properties) with the hotel.conf reading on top.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phantom_autoscale::profile::{HotelConf, Properties, SharedFile, SharedFileKind};

fuzz_target!(|data: &[u8]| {
    for kind in [SharedFileKind::Credentials, SharedFileKind::Config] {
        if let Ok(file) = SharedFile::parse_bytes(data, kind, "fuzz") {
            let _ = file.profile("default");
        }
    }
    if let Ok(props) = Properties::parse_bytes(data, "fuzz") {
        let hotel = HotelConf::from_properties(&props);
        let _ = hotel.repository_host_port();
        let _ = format!("{props:?}");
    }
});
