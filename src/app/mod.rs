//! Runtime: terminal guard, event loop, effect runner, signals.
