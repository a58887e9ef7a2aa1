//! `matterbox client …`.

use clap::{Subcommand, ValueEnum};
use matterbox_core::domain::{ClientInput, ClientKind, ClientPatch, MatterFilter};

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::shown::{shown, shown_lines};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Person,
    Organization,
}

impl From<KindArg> for ClientKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Person => ClientKind::Person,
            KindArg::Organization => ClientKind::Organization,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum ClientCmd {
    /// Add a client.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "person")]
        kind: KindArg,
        /// Another name the client is known by (repeatable).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        /// A name the client used before (repeatable); conflict checks search it.
        #[arg(long = "former-name")]
        former_names: Vec<String>,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List clients, optionally those whose name or alias contains TEXT.
    List {
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Show one client with its matters.
    Show { id: i64 },
    /// Change a client's details.
    Edit {
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Replace the aliases with these (repeatable; give --alias "" … to clear is not allowed, use --clear-aliases).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        #[arg(long, conflicts_with = "aliases")]
        clear_aliases: bool,
        /// Replace the former names with these (repeatable).
        #[arg(long = "former-name")]
        former_names: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
}

pub(crate) fn client_line(c: &matterbox_core::domain::Client) -> String {
    let aliases = if c.aliases.is_empty() {
        String::new()
    } else {
        format!(" (also: {})", shown(&c.aliases.join(", ")))
    };
    format!("{:>6}  {}{}\n", c.id, shown(&c.name), aliases)
}

pub(crate) fn client_cmd(ctx: &Ctx, cmd: ClientCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        ClientCmd::Add { name, kind, aliases, former_names, email, phone, address, notes } => {
            let c = s.create_client(&ClientInput {
                kind: Some(kind.into()),
                name,
                aliases,
                former_names,
                email,
                phone,
                address,
                notes,
            })?;
            ctx.print(&c, |c| format!("Added client {}: {}\n", c.id, shown(&c.name)))
        }
        ClientCmd::List { search } => {
            let list = s.clients(search.as_deref())?;
            ctx.print(&list, |l| {
                if l.is_empty() {
                    "No clients match. Add one with `matterbox client add --name NAME`.\n".into()
                } else {
                    l.iter().map(client_line).collect()
                }
            })
        }
        ClientCmd::Show { id } => {
            let client = s.client(id)?;
            let matters = s.matters(&MatterFilter { client_id: Some(id), ..Default::default() })?;
            let value = serde_json::json!({ "client": client, "matters": matters });
            ctx.print(&value, |_| {
                let mut out = format!(
                    "{} ({})\nAliases: {}\nFormer:  {}\nEmail:   {}\nPhone:   {}\nAddress: {}\nNotes:   {}\nMatters:\n",
                    shown(&client.name),
                    client.kind.as_str(),
                    shown(&client.aliases.join(", ")),
                    shown(&client.former_names.join(", ")),
                    shown(&client.email),
                    shown(&client.phone),
                    shown_lines(&client.address, "         "),
                    shown_lines(&client.notes, "         ")
                );
                for m in &matters {
                    out.push_str(&format!("  {}  {}  [{}]\n", shown(&m.number), shown(&m.title), m.status.as_str()));
                }
                out
            })
        }
        ClientCmd::Edit { id, name, kind, aliases, clear_aliases, former_names, email, phone, address, notes } => {
            let patch = ClientPatch {
                kind: kind.map(Into::into),
                name,
                aliases: if clear_aliases {
                    Some(Vec::new())
                } else if aliases.is_empty() {
                    None
                } else {
                    Some(aliases)
                },
                former_names: (!former_names.is_empty()).then_some(former_names),
                email,
                phone,
                address,
                notes,
            };
            let c = s.update_client(id, &patch)?;
            ctx.print(&c, |c| format!("Updated client {}: {}\n", c.id, shown(&c.name)))
        }
    })
}
