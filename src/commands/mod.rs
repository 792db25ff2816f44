//! One file per subcommand. Each takes the parsed arguments and the resolved
//! settings and returns the exit status; nothing here parses text formats or
//! matches signatures itself.

pub mod bundle;
pub mod bundle_html;
pub mod classify;
pub mod follow;
pub mod incident;
pub mod patterns;
