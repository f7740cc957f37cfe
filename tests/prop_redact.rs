//! The redaction property, bounded and seeded: a secret planted in any of the line shapes of
//! tests/secrets_canary.rs, or in config.xml's password parameter, never survives the bundle's
//! text, streaming and XML paths or the live faces, whatever lines and words surround it.
//! Same entry point as the `redact` fuzz target (`midrescue::fuzzing::redact`).

mod prop_common;

use midrescue::fuzzing;
use midrescue::redact::RuleSet;
use proptest::prelude::*;

const SEED: [u8; 32] = *b"midrescue-prop-redact-seed-00001";

/// Surroundings: log-like words and punctuation that trigger rules (`=`, `:`, quotes, `<`,
/// `@`, `password`), arbitrary bytes, invalid UTF-8.
fn around() -> impl Strategy<Value = Vec<u8>> {
    let word = prop_oneof![
        3 => "[a-zA-Z0-9_.=:;,\"'<>/@&%?{}() -]{0,24}".prop_map(String::into_bytes),
        1 => prop::sample::select(vec![
            "password", "token=", "key:", "<!--", "-->", "\"", "'", "=", "Bearer", "Basic",
            "-----BEGIN RSA PRIVATE KEY-----", "encrypted:", "%3D", "\\", "\t",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(word, 0..6).prop_map(|w| w.join(&b' '))
}

#[test]
fn a_planted_secret_never_survives() {
    let rules = RuleSet::builtin().unwrap();
    let input = (
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 12),
        around(),
        around(),
        around(),
        around(),
    )
        .prop_map(|(pick, seed, before, prefix, suffix, after)| {
            let mut v = vec![pick];
            v.extend(seed);
            for (i, part) in [before, prefix, suffix, after].into_iter().enumerate() {
                if i > 0 {
                    v.push(0xFF);
                }
                v.extend(part.into_iter().filter(|b| *b != 0xFF));
            }
            v
        });
    prop_common::run(&SEED, 3000, input, |data| fuzzing::redact(&rules, &data));
}

#[test]
fn every_shape_is_masked_bare() {
    // Each shape alone, so a rule that stops matching one shape fails by name.
    let rules = RuleSet::builtin().unwrap();
    for i in 0..fuzzing::SECRET_SHAPES
        .len()
        .max(fuzzing::CONFIG_SHAPES.len())
    {
        let mut data = vec![i as u8];
        data.extend(b"abcdefghijkl");
        fuzzing::redact(&rules, &data);
    }
}

/// What the property test found, each a secret that survived before its fix.
mod regressions {
    use midrescue::redact::{Counts, RuleSet};

    fn line(text: &str) -> String {
        let rules = RuleSet::builtin().unwrap();
        String::from_utf8_lossy(&rules.redact_text(text.as_bytes(), &mut Counts::new()))
            .into_owned()
    }

    #[test]
    fn a_rule_that_masks_first_does_not_hide_another_rules_key() {
        // The Basic rule took `value=encrypted` as its value and `encrypted:` lost its key.
        let out = line("Basic value=encrypted:ZqSecretValue01 x");
        assert!(!out.contains("ZqSecretValue01"), "{out}");
    }

    #[test]
    fn a_key_masked_as_another_value_still_masks_the_next_line() {
        let out = line("token= <password>\n  ZqSecretValue02\n</password>");
        assert!(!out.contains("ZqSecretValue02"), "{out}");
    }

    #[test]
    fn a_line_masked_as_the_value_before_still_passes_its_key_on() {
        // Found by `scripts/fuzz.sh` (redact target): `pass:` made the next line its value and
        // masked it whole, and the `"password":` key at that line's end was lost with it.
        let out = line("\0\0.pass:\npayload {\"password\":\n   \"ZqSecretValue04\" }");
        assert!(!out.contains("ZqSecretValue04"), "{out}");
        // Streamed line by line, the same.
        let rules = RuleSet::builtin().unwrap();
        let mut stream = rules.stream();
        let (mut out, mut c) = (Vec::new(), Counts::new());
        for l in ["pass:\n", "{\"password\":\n", "  \"ZqSecretValue04\" }\n"] {
            stream.push(l.as_bytes(), &mut out, &mut c);
        }
        assert!(!String::from_utf8_lossy(&out).contains("ZqSecretValue04"));
    }

    #[test]
    fn a_stray_open_quote_before_a_secret_tag_does_not_hide_it() {
        let rules = RuleSet::builtin().unwrap();
        for xml in [
            "<_ \" A=\" <PARAMETER NAME=\"MID.INSTANCE.PASSWORD\" VALUE=\"ZqSecretValue03\"/>\n",
            "<_\" <parameter name=\"mid.instance.password\">ZqSecretValue03</parameter> \" \"\">\n",
        ] {
            let out = rules.redact_config_xml(xml.as_bytes(), &mut Counts::new());
            let out = String::from_utf8_lossy(&out);
            assert!(!out.contains("ZqSecretValue03"), "{out}");
        }
    }
}
