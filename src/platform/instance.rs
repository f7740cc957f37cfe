//! Read-only instance check (ecc_agent Table API).
