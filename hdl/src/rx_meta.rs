//! The receive metadata record as a rust-hdl `LogicStruct`.
//!
//! The field list is expanded from [`host_model::rx_meta_fields!`], the single
//! definition of the layout, so the RTL and the host model cannot disagree.

use rust_hdl::prelude::*;

macro_rules! meta_struct {
    ($($name:ident : $w:expr),* $(,)?) => {
        /// One metadata record per frame (see `host_model::meta` for every field's meaning).
        #[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
        pub struct RxMetaRecord {
            $(pub $name: Bits<$w>,)*
        }
    };
}
host_model::rx_meta_fields!(meta_struct);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_host_model() {
        assert_eq!(RxMetaRecord::BITS, host_model::RX_META_BITS);
        let r = RxMetaRecord::default();
        assert_eq!(
            r.get_my_offset_frame_len(),
            host_model::meta::field("frame_len").unwrap().offset
        );
        assert_eq!(
            r.get_my_offset_dst_ip(),
            host_model::meta::field("dst_ip").unwrap().offset
        );
        assert_eq!(r.get_my_width_src_ip(), 128);
    }
}
