//! Secrets from files: `AGORA_X_FILE=/run/secrets/x` sets `AGORA_X` to that file's contents.
//!
//! Docker and Kubernetes hand secrets to a process as files, not as variables. Only the
//! variables that the command line declares are looked at, so an option that is itself a path
//! (`AGORA_ADMIN_PASSWORD_FILE`) keeps its meaning.
//!
//! Layout:
//! - [`declared_names`]: every `AGORA_*` variable of the command line and its subcommands.
//! - [`values_from_files`]: what to set, decided from a lookup; no IO beyond reading the files.
//! - [`load`]: the two above on the real environment, which it then changes.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

/// A secret file that cannot be used; the process stops before it starts anything.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("{name} and {name}_FILE are both set; set only one of them")]
    Ambiguous { name: String },
    #[error("{name}_FILE names {}, which cannot be read", path.display())]
    Unreadable {
        name: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The environment variables that `command`'s arguments declare, its subcommands' included.
pub fn declared_names(command: &clap::Command) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect_names(command, &mut names);
    names
}

fn collect_names(command: &clap::Command, names: &mut BTreeSet<String>) {
    for arg in command.get_arguments() {
        if let Some(name) = arg.get_env().and_then(|name| name.to_str()) {
            names.insert(name.to_owned());
        }
    }
    for subcommand in command.get_subcommands() {
        collect_names(subcommand, names);
    }
}

/// The `(name, value)` pairs to set: for each declared `name` that is unset while `name_FILE`
/// is set, the file's contents without one trailing newline (editors and `echo` add one).
/// `lookup` reads a variable; a variable set to the empty string counts as set, as for clap.
pub fn values_from_files(
    names: &BTreeSet<String>,
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<Vec<(String, String)>, SecretFileError> {
    let mut values = Vec::new();
    for name in names {
        let file_name = format!("{name}_FILE");
        // A declared `name_FILE` is an option of its own (a path the server reads itself).
        if names.contains(&file_name) {
            continue;
        }
        let Some(path) = lookup(&file_name) else {
            continue;
        };
        if lookup(name).is_some() {
            return Err(SecretFileError::Ambiguous { name: name.clone() });
        }
        let path = PathBuf::from(path);
        let mut value =
            std::fs::read_to_string(&path).map_err(|source| SecretFileError::Unreadable {
                name: name.clone(),
                path,
                source,
            })?;
        if value.ends_with('\n') {
            value.pop();
            if value.ends_with('\r') {
                value.pop();
            }
        }
        values.push((name.clone(), value));
    }
    Ok(values)
}

/// Sets every variable of `command` that is given as a file. Call it before any other thread
/// starts (the tokio runtime above all): changing the environment while another thread reads it
/// is undefined behaviour on glibc. Clap reads the environment when the command is built, so
/// build the command to parse after this.
pub fn load(command: &clap::Command) -> Result<(), SecretFileError> {
    let values = values_from_files(&declared_names(command), |name| std::env::var_os(name))?;
    for (name, value) in values {
        std::env::set_var(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::CommandFactory;

    use super::*;
    use crate::config::Cli;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    fn environment(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), OsString::from(value)))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn secret_file(folder: &tempfile::TempDir, contents: &str) -> String {
        let path = folder.path().join("secret");
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }

    #[test]
    fn reads_the_file_without_its_trailing_newline() {
        let folder = tempfile::tempdir().unwrap();
        for (contents, expected) in [
            ("postgres://a:b@db/agora\n", "postgres://a:b@db/agora"),
            ("s3cret\r\n", "s3cret"),
            ("two\n\n", "two\n"),
            ("none", "none"),
        ] {
            let path = secret_file(&folder, contents);
            let values = values_from_files(
                &names(&["AGORA_DATABASE_URL"]),
                environment(&[("AGORA_DATABASE_URL_FILE", &path)]),
            )
            .unwrap();
            assert_eq!(
                values,
                [("AGORA_DATABASE_URL".to_owned(), expected.to_owned())]
            );
        }
    }

    #[test]
    fn a_missing_file_names_the_variable_and_the_path() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("absent");
        let error = values_from_files(
            &names(&["AGORA_DATABASE_URL"]),
            environment(&[("AGORA_DATABASE_URL_FILE", path.to_str().unwrap())]),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("AGORA_DATABASE_URL_FILE"), "{message}");
        assert!(message.contains(path.to_str().unwrap()), "{message}");
    }

    #[test]
    fn a_variable_and_its_file_together_are_ambiguous() {
        let folder = tempfile::tempdir().unwrap();
        let path = secret_file(&folder, "from the file\n");
        let error = values_from_files(
            &names(&["AGORA_PUBLIC_URL"]),
            environment(&[
                ("AGORA_PUBLIC_URL", "https://agora.example.org"),
                ("AGORA_PUBLIC_URL_FILE", &path),
            ]),
        )
        .unwrap_err();
        assert!(
            matches!(error, SecretFileError::Ambiguous { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("AGORA_PUBLIC_URL"));
    }

    #[test]
    fn undeclared_names_are_ignored() {
        let folder = tempfile::tempdir().unwrap();
        let path = secret_file(&folder, "hunter2\n");
        let values = values_from_files(
            &names(&["AGORA_ADMIN_EMAIL", "AGORA_ADMIN_PASSWORD_FILE"]),
            environment(&[
                ("AGORA_SOMETHING_ELSE_FILE", &path),
                ("AGORA_ADMIN_PASSWORD_FILE", &path),
                ("AGORA_ADMIN_EMAIL", "admin@example.org"),
            ]),
        )
        .unwrap();
        assert!(values.is_empty(), "{values:?}");
    }

    #[test]
    fn a_declared_option_whose_file_form_is_declared_too_is_not_read() {
        let folder = tempfile::tempdir().unwrap();
        let path = secret_file(&folder, "a path, not a secret\n");
        let values = values_from_files(
            &names(&["AGORA_KEY", "AGORA_KEY_FILE"]),
            environment(&[("AGORA_KEY_FILE", &path)]),
        )
        .unwrap();
        assert!(values.is_empty(), "{values:?}");
    }

    #[test]
    fn the_command_line_declares_the_variables_of_its_subcommands() {
        let declared = declared_names(&Cli::command());
        for name in [
            "AGORA_DATA",
            "AGORA_PUBLIC_URL",
            "AGORA_ADMIN_PASSWORD_FILE",
        ] {
            assert!(declared.contains(name), "{name} in {declared:?}");
        }
    }
}
