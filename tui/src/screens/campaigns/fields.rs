//! The campaign form's fields: what each holds, how its text reads as the API's values
//! (features and questions are typed as `;`-separated lists), and which field a
//! problem named by the model or by closerd ("product.features[1]") belongs to.

use closer_core::model::QualificationQuestion;

/// A field of the form, in the order it is shown and tabbed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Product,
    Description,
    Price,
    Currency,
    Features,
    Greeting,
    Questions,
    Closing,
}

impl Field {
    pub const ALL: [Self; 9] = [
        Self::Name,
        Self::Product,
        Self::Description,
        Self::Price,
        Self::Currency,
        Self::Features,
        Self::Greeting,
        Self::Questions,
        Self::Closing,
    ];

    /// The widest label, for the column they are right-aligned in.
    pub const LABEL_WIDTH: usize = 11;

    pub fn at(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Product => "Product",
            Self::Description => "Description",
            Self::Price => "Price",
            Self::Currency => "Currency",
            Self::Features => "Features",
            Self::Greeting => "Greeting",
            Self::Questions => "Questions",
            Self::Closing => "Closing",
        }
    }

    /// What to type, shown under the form while the field is focused.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Name => "the campaign's name, for you: customers see the product's",
            Self::Product => "what you sell, as customers see it (needed to go live)",
            Self::Description => "what the AI may tell customers about the product",
            Self::Price => "such as 24.90 (needed to go live); empty: no price yet",
            Self::Currency => "the price's currency, three letters such as EUR",
            Self::Features => "separated by ;  such as: Baked to order; Ships in 2 days",
            Self::Greeting => "the AI's first message in a chat (needed to go live)",
            Self::Questions => "question | option, option; next question  (options: quick replies)",
            Self::Closing => "what the AI says when the customer is ready to buy",
        }
    }

    /// The next field, round to the first.
    pub fn next(self) -> Self {
        Self::ALL[(self.at() + 1) % Self::ALL.len()]
    }

    /// The previous field, round to the last.
    pub fn previous(self) -> Self {
        Self::ALL[(self.at() + Self::ALL.len() - 1) % Self::ALL.len()]
    }

    /// The field an API path names, and which part of it, as the owner counts
    /// (`flow.qualification_questions[0].options[2]`: Questions, "question 1, option 3 ").
    pub fn of_path(path: &str) -> Option<(Self, String)> {
        let base = path.split('[').next().unwrap_or(path);
        let field = match base {
            "name" => Self::Name,
            "product.name" => Self::Product,
            "product.description" => Self::Description,
            "product.price" | "product.price.amount_minor" => Self::Price,
            "product.price.currency" => Self::Currency,
            "product.features" => Self::Features,
            "flow.greeting" => Self::Greeting,
            "flow.qualification_questions" => Self::Questions,
            "flow.closing_message" => Self::Closing,
            _ => return None,
        };
        let numbers: Vec<usize> = path
            .split('[')
            .skip(1)
            .filter_map(|part| part.split(']').next().and_then(|n| n.parse().ok()))
            .collect();
        let part = match (field, numbers.as_slice()) {
            (Self::Features, [item, ..]) => format!("feature {} ", item + 1),
            (Self::Questions, [question, option, ..]) => {
                format!("question {}, option {} ", question + 1, option + 1)
            }
            (Self::Questions, [question]) if path.ends_with(".options") => {
                format!("question {}'s options ", question + 1)
            }
            (Self::Questions, [question]) => format!("question {} ", question + 1),
            _ => String::new(),
        };
        Some((field, part))
    }
}

/// The fields a refusal opens with ("product.name, product.price cannot be removed
/// while …"), each with the part it names, and the problem after them.
pub fn named_fields(message: &str) -> (Vec<(Field, String)>, &str) {
    let mut fields = Vec::new();
    let mut rest = message;
    loop {
        let (token, after) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some(field) = Field::of_path(token.trim_end_matches(',')) else { break };
        fields.push(field);
        rest = after;
        if !token.ends_with(',') {
            break;
        }
    }
    (fields, rest)
}

/// "Baked to order; Ships in 2 days": the items, trimmed, the empty ones dropped (a
/// `;` at the end is not an empty feature).
pub fn list(text: &str) -> Vec<String> {
    text.split(';').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

/// "For how many people? | 2-4, 5-8; When do you need it?": questions, each with the
/// answers offered after its `|`.
pub fn questions(text: &str) -> Vec<QualificationQuestion> {
    list(text)
        .into_iter()
        .map(|item| {
            let (question, options) = item.split_once('|').unwrap_or((&item, ""));
            QualificationQuestion {
                question: question.trim().to_owned(),
                options: options
                    .split(',')
                    .map(str::trim)
                    .filter(|option| !option.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }
        })
        .collect()
}

/// The questions as [`questions`] reads them.
pub fn questions_text(questions: &[QualificationQuestion]) -> String {
    questions
        .iter()
        .map(|q| {
            if q.options.is_empty() {
                q.question.clone()
            } else {
                format!("{} | {}", q.question, q.options.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_field_and_the_part_of_it() {
        assert_eq!(Field::of_path("name"), Some((Field::Name, String::new())));
        assert_eq!(Field::of_path("product.price.amount_minor"), Some((Field::Price, String::new())));
        assert_eq!(Field::of_path("product.price.currency"), Some((Field::Currency, String::new())));
        assert_eq!(Field::of_path("product.features[1]"), Some((Field::Features, "feature 2 ".into())));
        assert_eq!(
            Field::of_path("flow.qualification_questions[0].options[2]"),
            Some((Field::Questions, "question 1, option 3 ".into()))
        );
        assert_eq!(
            Field::of_path("flow.qualification_questions[1].question"),
            Some((Field::Questions, "question 2 ".into()))
        );
        assert_eq!(Field::of_path("product.images"), None);
        assert_eq!(Field::of_path("the"), None);
    }

    #[test]
    fn a_refusal_names_its_fields_first() {
        let (fields, problem) = named_fields("product.name, product.price cannot be removed while active");
        assert_eq!(fields, [(Field::Product, String::new()), (Field::Price, String::new())]);
        assert_eq!(problem, "cannot be removed while active");
        let (fields, problem) = named_fields("the campaign was changed meanwhile");
        assert!(fields.is_empty());
        assert_eq!(problem, "the campaign was changed meanwhile");
    }

    #[test]
    fn lists_and_questions_read_back_as_typed() {
        assert_eq!(list(" Baked to order ;; Ships in 2 days; "), ["Baked to order", "Ships in 2 days"]);
        let typed = "For how many people? | 2-4, 5-8 ,; When do you need it?";
        let read = questions(typed);
        assert_eq!(read[0].options, ["2-4", "5-8"]);
        assert!(read[1].options.is_empty());
        assert_eq!(questions_text(&read), "For how many people? | 2-4, 5-8; When do you need it?");
        assert_eq!(Field::Closing.next(), Field::Name);
        assert_eq!(Field::Name.previous(), Field::Closing);
    }
}
