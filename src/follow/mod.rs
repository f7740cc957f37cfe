//! Following files by name without holding them open (poll, open, read, close).
