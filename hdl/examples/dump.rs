//! Write the default configuration's RTL to the folder given as first argument.
fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "build/example".into());
    let g = hdl::generate(&host_model::Resolved::default_config()).expect("generate");
    for p in g.write_to(std::path::Path::new(&out)).expect("write") {
        println!("{}", p.display());
    }
}
