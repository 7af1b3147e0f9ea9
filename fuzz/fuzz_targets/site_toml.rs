//! Fuzz target: site.toml, any text, through the configuration reader. Besides not
//! panicking, every finding must point inside the file.

#![no_main]

use casebook::core::config::SiteConfig;
use casebook::core::diag::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (_, diags) = SiteConfig::parse(Source::new("site.toml", text));
    for diag in &diags {
        let source = diag.source.as_ref().expect("every finding names a file");
        if let Some(span) = diag.span {
            assert!(
                span.start <= span.end && span.end <= source.text.len(),
                "{span:?} outside the file"
            );
        }
    }
});
