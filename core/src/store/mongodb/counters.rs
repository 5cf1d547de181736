//! Counters that arrive together are added together. Every customer message moves
//! its business's analytics record for the day and its campaign's stats, so a batch
//! of increments holds many for the same few documents. Summed into one statement
//! per document, they cost the server one write instead of one each, and the
//! statements of a batch no longer contend for the same document.

use std::collections::HashMap;
use std::future::Future;

use mongodb::bson::{Document, doc};

use crate::store::{Result, StoreError};

/// Amounts to add to the counters of the document `filter` finds.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Increment {
    pub filter: Document,
    /// `(field, amount)` pairs for `$inc`.
    pub amounts: Vec<(String, i64)>,
    /// Fields an upsert sets when it creates the document (`$setOnInsert`): the
    /// same for every increment of one filter, as they follow from it.
    pub on_insert: Document,
}

impl Increment {
    /// The update document: `$inc` of the amounts, and `$setOnInsert` if any.
    pub fn update(&self) -> Document {
        let inc: Document =
            self.amounts.iter().map(|(field, amount)| (field.clone(), (*amount).into())).collect();
        let mut update = doc! { "$inc": inc };
        if !self.on_insert.is_empty() {
            update.insert("$setOnInsert", self.on_insert.clone());
        }
        update
    }

    /// Adds `other`'s amounts, field by field.
    fn add(&mut self, other: &Self) {
        for (field, amount) in &other.amounts {
            match self.amounts.iter_mut().find(|(mine, _)| mine == field) {
                Some((_, sum)) => *sum = sum.saturating_add(*amount),
                None => self.amounts.push((field.clone(), *amount)),
            }
        }
    }
}

/// Writes `increments` summed per document: `write` gets one increment per document
/// (in the order the documents first came) and answers each; every increment given
/// gets the answer of the sum it went into.
pub(super) async fn add_together<T, F, Fut>(increments: Vec<Increment>, write: F) -> Result<Vec<Result<T>>>
where
    T: Clone,
    F: FnOnce(Vec<Increment>) -> Fut,
    Fut: Future<Output = Result<Vec<Result<T>>>>,
{
    let (sums, into) = sum(increments)?;
    let answers = write(sums).await?;
    let missing = || StoreError::Backend("a summed increment got no answer".into());
    Ok(into.into_iter().map(|sum| answers.get(sum).cloned().unwrap_or_else(|| Err(missing()))).collect())
}

/// One increment per document, and for each increment given, the index of its sum.
fn sum(increments: Vec<Increment>) -> Result<(Vec<Increment>, Vec<usize>)> {
    let mut sums: Vec<Increment> = Vec::new();
    let mut by_filter: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut into = Vec::with_capacity(increments.len());
    for increment in increments {
        // Filters built by the same code are equal byte for byte.
        let key = increment.filter.to_vec().map_err(|e| StoreError::Backend(format!("a filter: {e}")))?;
        let index = *by_filter.entry(key).or_insert_with(|| {
            sums.push(Increment { amounts: Vec::new(), ..increment.clone() });
            sums.len() - 1
        });
        sums[index].add(&increment);
        into.push(index);
    }
    Ok((sums, into))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn increment(day: &str, amounts: &[(&str, i64)]) -> Increment {
        Increment {
            filter: doc! { "user_id": "u", "date": day },
            amounts: amounts.iter().map(|(field, amount)| ((*field).to_owned(), *amount)).collect(),
            on_insert: doc! { "campaign_id": "c" },
        }
    }

    #[tokio::test]
    async fn increments_of_one_document_become_one_sum_and_each_gets_its_answer() {
        let given = vec![
            increment("2026-11-24", &[("sent", 1), ("received", 0)]),
            increment("2026-11-25", &[("sent", 2)]),
            increment("2026-11-24", &[("sent", 3), ("leads", 1)]),
            increment("2026-11-24", &[("received", 4)]),
        ];
        let answers = add_together(given, |sums: Vec<Increment>| async move {
            assert_eq!(sums.len(), 2, "one statement per document: {sums:?}");
            assert_eq!(sums[0].filter, doc! { "user_id": "u", "date": "2026-11-24" });
            assert_eq!(
                sums[0].update(),
                doc! {
                    "$inc": { "sent": 4_i64, "received": 4_i64, "leads": 1_i64 },
                    "$setOnInsert": { "campaign_id": "c" },
                }
            );
            assert_eq!(sums[1].update().get_document("$inc").expect("$inc"), &doc! { "sent": 2_i64 });
            // The first document's statement fails, the second's goes through.
            Ok(vec![Err(StoreError::Conflict("first".into())), Ok("second")])
        })
        .await
        .expect("written");
        let answers: Vec<_> = answers.into_iter().map(|answer| answer.map_err(|e| e.to_string())).collect();
        assert!(answers[0].as_ref().is_err_and(|e| e.contains("first")), "{answers:?}");
        assert_eq!(answers[1], Ok("second"));
        assert!(answers[2].is_err() && answers[3].is_err(), "{answers:?}");
    }

    #[test]
    fn an_increment_without_an_on_insert_sets_nothing_on_insert() {
        let increment = Increment { on_insert: Document::new(), ..increment("2026-11-24", &[("leads", 1)]) };
        assert_eq!(increment.update(), doc! { "$inc": { "leads": 1_i64 } });
    }
}
