//! Support bundle: what goes in, redaction, manifest, the zip writer.
