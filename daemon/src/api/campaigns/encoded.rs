//! The campaign list's answer kept encoded, per business and status filter. Consoles
//! ask for the list all the time, and encoding every campaign of it cost more than
//! the rest of the request (authentication and the cached read) put together. An
//! answer is good for as long as the store's read cache holds the very list it was
//! encoded from: that cache never changes a list in place, it replaces it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use closer_core::model::{Campaign, CampaignStatus, UserId};
use serde::Serialize;

/// Past this many answers the memory starts over: a bound, not an eviction policy.
const MAX_ENTRIES: usize = 1_000;

#[derive(Debug, Default)]
pub struct EncodedLists {
    entries: Mutex<HashMap<(UserId, Option<CampaignStatus>), Encoded>>,
}

#[derive(Debug)]
struct Encoded {
    /// The list the body was encoded from, held so that its address is not reused
    /// while the body is kept.
    from: Arc<Vec<Campaign>>,
    body: Bytes,
}

/// The same JSON as `CampaignList`, without copying the campaigns to build one.
#[derive(Serialize)]
struct Listed<'a> {
    campaigns: Vec<&'a Campaign>,
}

impl EncodedLists {
    /// `{"campaigns": […]}` for `campaigns` (the business's whole list, newest first)
    /// with `status`, encoded now or kept from the last time it was this same list.
    pub fn body(
        &self,
        tenant: UserId,
        status: Option<CampaignStatus>,
        campaigns: &Arc<Vec<Campaign>>,
    ) -> Result<Bytes, serde_json::Error> {
        let key = (tenant, status);
        if let Some(kept) = self.lock().get(&key)
            && Arc::ptr_eq(&kept.from, campaigns)
        {
            return Ok(kept.body.clone());
        }
        let listed = campaigns.iter().filter(|c| status.is_none_or(|status| c.status == status)).collect();
        let body = Bytes::from(serde_json::to_vec(&Listed { campaigns: listed })?);
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Encoded { from: Arc::clone(campaigns), body: body.clone() });
        Ok(body)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(UserId, Option<CampaignStatus>), Encoded>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use closer_core::model::{Platform, Timestamp};

    use super::*;

    #[test]
    fn a_body_is_kept_while_the_list_is_the_same_one() {
        let lists = EncodedLists::default();
        let tenant = UserId::new();
        let now = Timestamp::from_millis(1_000_000).unwrap();
        let draft = Campaign::draft(tenant, "Bread", Platform::Facebook, now);
        let mut active = Campaign::draft(tenant, "Cake", Platform::Facebook, now);
        active.status = CampaignStatus::Active;
        let list = Arc::new(vec![active.clone(), draft.clone()]);

        let all = lists.body(tenant, None, &list).unwrap();
        let expected = serde_json::json!({ "campaigns": [active, draft] });
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&all).unwrap(), expected);
        let only_active = lists.body(tenant, Some(CampaignStatus::Active), &list).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&only_active).unwrap(),
            serde_json::json!({ "campaigns": [active] })
        );
        let again = lists.body(tenant, None, &list).unwrap();
        assert_eq!(again.as_ptr(), all.as_ptr(), "the same bytes, not encoded again");

        let equal_but_new = Arc::new(Vec::clone(&list));
        let renewed = lists.body(tenant, None, &equal_but_new).unwrap();
        assert_ne!(renewed.as_ptr(), all.as_ptr(), "another list is encoded again");
        assert_eq!(renewed, all);
    }
}
