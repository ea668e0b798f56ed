//! A binary's command line: one flag per variable its groups read, each also taken from the
//! environment, so `--help` documents exactly what that binary honours.
use super::Variable;
use clap::{Arg, ArgMatches, Command};
use std::collections::BTreeSet;

/// Read from the environment alone, by telemetry, which starts before the flags are parsed.
const TELEMETRY_VARIABLES: &str = "Telemetry reads RUST_LOG, LOG_FORMAT (json or text), \
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL and OTEL_SERVICE_NAME from the environment.";

/// The command of binary `name`, with a flag per variable of `groups` (once each).
pub fn command(name: &'static str, about: &'static str, groups: &[&[Variable]]) -> Command {
    let command = Command::new(name)
        .about(about)
        .version(env!("CARGO_PKG_VERSION"))
        .args_override_self(true)
        .after_help(TELEMETRY_VARIABLES);
    add_variables(command, groups)
}

/// Adds a flag per variable of `groups` (once each) to `command`, global to its subcommands.
pub fn add_variables(mut command: Command, groups: &[&[Variable]]) -> Command {
    let mut seen = BTreeSet::new();
    for variable in groups.iter().flat_map(|group| group.iter()) {
        if seen.insert(variable.name) {
            command = command.arg(variable.arg());
        }
    }
    command
}

/// The variables' values in `matches`, by variable name.
pub fn lookup(matches: &ArgMatches) -> impl Fn(&str) -> Option<String> + '_ {
    |name: &str| matches.try_get_one::<String>(name).ok().flatten().cloned()
}

impl Variable {
    fn arg(&self) -> Arg {
        Arg::new(self.name)
            .long(self.name.to_lowercase().replace('_', "-"))
            .env(self.name)
            .value_name("VALUE")
            .help(self.help)
            .hide_env_values(self.secret)
            .global(true)
    }
}
