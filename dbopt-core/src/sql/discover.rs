//! diesel.toml and migration discovery. PLACEHOLDER: replaced by the real discovery.
