//! Policies and training (#17 §3): the core API over
//! `matterbox_domain::policies`, used by the CLI and the app.
//!
//! **Audit entries carry ids, version numbers and counts, never a
//! person's name, a title or a policy's text.**

use chrono::NaiveDate;
use matterbox_domain::policies::{
    self as db, Due, Policy, PolicyInput, Training, TrainingInput, VersionInput,
};
use serde_json::json;

use crate::{Result, Session};

fn policy_object(id: i64) -> String {
    format!("policy:{id}")
}

impl Session {
    /// Saves a policy with its first version; audited with its id.
    pub fn add_policy(&mut self, input: &PolicyInput) -> Result<Policy> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let id = db::create(tx, input, &actor)?;
            rec.record(
                "policy_added",
                &policy_object(id),
                json!({ "version": 1, "document": input.version.document_id.map(|d| format!("document:{d}")) }),
            )?;
            Ok(db::get(tx, id)?)
        })
    }

    /// Adds a new version of policy `id` (a changed text is a new version).
    pub fn add_policy_version(&mut self, id: i64, input: &VersionInput) -> Result<Policy> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let version = db::add_version(tx, id, input, &actor)?;
            rec.record(
                "policy_version_added",
                &policy_object(id),
                json!({ "version": version, "document": input.document_id.map(|d| format!("document:{d}")) }),
            )?;
            Ok(db::get(tx, id)?)
        })
    }

    /// Records that `person` acknowledged a version (the current one when
    /// `None`) of policy `id`.
    pub fn acknowledge_policy(
        &mut self,
        id: i64,
        version: Option<i64>,
        person: &str,
        on: NaiveDate,
    ) -> Result<Policy> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let version = db::acknowledge(tx, id, version, person, on, &actor)?;
            rec.record(
                "policy_acknowledged",
                &policy_object(id),
                json!({ "version": version }),
            )?;
            Ok(db::get(tx, id)?)
        })
    }

    /// Every policy with its versions (a list, not audited).
    pub fn policies(&self) -> Result<Vec<Policy>> {
        Ok(db::list(&self.conn)?)
    }

    /// One policy with its texts; recorded as viewed.
    pub fn policy(&mut self, id: i64) -> Result<Policy> {
        self.write(|tx, rec| {
            let p = db::get(tx, id)?;
            rec.record("policy_viewed", &policy_object(id), json!({}))?;
            Ok(p)
        })
    }

    /// Saves a training session; audited with its counts.
    pub fn add_training(&mut self, input: &TrainingInput) -> Result<Training> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let id = db::add_training(tx, input, &actor)?;
            let t = db::trainings(tx)?
                .into_iter()
                .find(|t| t.id == id)
                .ok_or(crate::CoreError::Internal("a saved training is not found"))?;
            rec.record(
                "training_recorded",
                &format!("training:{id}"),
                json!({ "attendees": t.attendees.len(), "materials": t.materials.len() }),
            )?;
            Ok(t)
        })
    }

    /// Every training session, oldest first (a list, not audited).
    pub fn trainings(&self) -> Result<Vec<Training>> {
        Ok(db::trainings(&self.conn)?)
    }

    /// Policy reviews and people's annual training due by
    /// `today + within_days` (a list, not audited).
    pub fn policies_due(&self, today: NaiveDate, within_days: u32) -> Result<Vec<Due>> {
        let until = today + chrono::Days::new(u64::from(within_days));
        Ok(db::due_of(
            &db::list(&self.conn)?,
            &db::trainings(&self.conn)?,
            today,
            until,
        ))
    }
}
