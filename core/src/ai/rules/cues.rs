//! What a message is about, from the words and phrases customers use, in English,
//! Portuguese and Spanish, each with a weight: a phrase ("how much") says more than a
//! word ("today"), and the longest phrase claims its words first, so "are you human"
//! asks about the bot and does not ask for a human.

use std::sync::LazyLock;

use super::text::{self, Words, similar};

/// A kind of evidence in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    WantsPerson,
    ReadyToBuy,
    Objection,
    Price,
    Shipping,
    Availability,
    /// Returns, refunds, warranty, cancellations: answered from the documents.
    Policy,
    Product,
    Thanks,
    Greeting,
    /// "Are you a bot?": answered truthfully, whatever else is asked.
    Bot,
}

impl Cue {
    /// In order of precedence when two weigh the same: a customer who asks for a
    /// person or wants to buy must not get a price list instead.
    pub const ALL: [Self; 11] = [
        Self::WantsPerson,
        Self::ReadyToBuy,
        Self::Objection,
        Self::Price,
        Self::Shipping,
        Self::Availability,
        Self::Policy,
        Self::Product,
        Self::Thanks,
        Self::Greeting,
        Self::Bot,
    ];
}

/// (cue, weight, phrases separated by `|`). Weight 3: the phrase alone says it;
/// 2: a clear word; 1: a hint that needs another.
const TABLE: &[(Cue, u8, &str)] = &[
    (
        Cue::Greeting,
        2,
        "hi|hello|hey|hiya|howdy|heya|greetings|good morning|good afternoon|good evening|good day|hi there|\
         hey there|ola|oi|bom dia|boa tarde|boa noite|hola|buenos dias|buen dia|buenas tardes|buenas noches|\
         buenas|e ai|bonjour|hallo|ciao|how are you|hows it going|tudo bem|tudo bom|como vai|como estas|que tal",
    ),
    (
        Cue::Price,
        3,
        "how much|hw much|how much is it|price|prices|pricing|what does it cost|quanto custa|quanto e|\
         quanto fica|qual o preco|qual o valor|preco|precos|valor|cuanto cuesta|cuanto vale|cuanto es|\
         cuanto sale|precio|precios|price list",
    ),
    (Cue::Price, 2, "cost|costs|quanto|cuanto|cuesta|custa"),
    // Claimed here so that "per person" never reads as asking for a person.
    (Cue::Price, 1, "per person|por persona|por pessoa"),
    (
        Cue::Product,
        2,
        "feature|features|include|included|includes|whats included|what is it|what is this|tell me more|\
         more info|more information|details|detail|describe|description|specs|specifications|material|\
         materials|made of|made from|ingredients|ingredient|contains|contain|allergy|allergies|allergic|\
         allergen|allergens|size|sizes|how big|dimensions|weight|color|colors|colour|colours|fit|fits|\
         compatible|compatibility|quality|suitable|caracteristicas|incluye|que incluye|o que inclui|\
         tamanho|tamano|cores|colores|expire|expires|expiry|valid|validity",
    ),
    (Cue::Product, 1, "how many|bring|beginner|beginners|level|does it|is it|do they"),
    (
        Cue::Availability,
        2,
        "available|availability|in stock|stock|sold out|any left|have any|do you have|do you sell|open|\
         opening|opening hours|hours|closed|what time|schedule|timetable|spaces|spots|disponivel|disponible|\
         estoque|horario|horarios|abierto|aberto|abre|abren|a que horas|que hora|need it by|get it by|\
         ready by|in time for",
    ),
    (
        Cue::Availability,
        1,
        "today|tomorrow|tonight|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mondays|\
         tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|when|can i get|hoje|amanha|manana",
    ),
    (
        Cue::Shipping,
        2,
        "ship|ships|shipping|shipped|deliver|delivers|delivery|deliveries|delivered|courier|postage|by post|\
         send it|send to|arrive|arrives|arrival|tracking|track|dispatch|pickup|pick up|pick it up|\
         pick them up|collect|collection|collect it|\
         express|international|abroad|envio|envios|enviam|enviar|mandan|entrega|entregas|entregam|entregan|\
         frete|how many days",
    ),
    (Cue::Shipping, 3, "my order|when will it arrive|gastos de envio"),
    (Cue::Shipping, 1, "how long"),
    (
        Cue::Objection,
        3,
        "too expensive|too pricey|too much|so expensive|very expensive|overpriced|something cheaper|\
         cant afford|maybe later|think about it|let me think|no money|muito caro|mt caro|demasiado caro|\
         muy caro|mais barato|mas barato|not interested|not for me",
    ),
    (
        Cue::Objection,
        2,
        "expensive|pricey|bit much|cheaper|discount|coupon|promo code|afford|not sure|not now|not yet|caro|\
         desconto|descuento|no thanks|no thank you",
    ),
    (Cue::Objection, 1, "a lot|later"),
    (
        Cue::ReadyToBuy,
        3,
        "buy|want to buy|want it|i want one|want one|ill take|ill take it|take one|take it|want to order|\
         like to order|place an order|how do i order|how can i order|how to order|where do i buy|\
         where can i buy|how do i buy|purchase|checkout|check out|sign me up|count me in|lets do it|\
         how do i pay|comprar|compro|quero comprar|encomendar|lo quiero|la quiero|me lo llevo|fazer pedido|\
         hacer un pedido",
    ),
    (
        Cue::ReadyToBuy,
        2,
        "order|book|booking|reserve|go ahead|ready to|quero|encomenda|quiero|reservar|pedir|pedido",
    ),
    (Cue::ReadyToBuy, 1, "pay|payment"),
    (
        Cue::WantsPerson,
        3,
        "human|real person|agent|representative|talk to|speak to|speak with|talk with|call me|\
         give me a call|phone me|ring me|customer service|customer support|atendente|falar com|pessoa|humano|\
         hablar con|persona|una persona",
    ),
    (Cue::WantsPerson, 2, "person"),
    // "A cake for someone's birthday" is not a request for a person.
    (Cue::WantsPerson, 1, "someone|somebody|owner|manager|staff|alguien|alguem"),
    (
        Cue::Thanks,
        3,
        "thanks|thank you|thx|thnx|ty|bye|goodbye|good bye|see you|see ya|cya|tchau|chau|adios|\
         hasta luego|ate logo|obrigado|obrigada|valeu|gracias|muchas gracias|merci|have a nice day|\
         have a good day|thats all",
    ),
    (Cue::Thanks, 2, "cheers"),
    (
        Cue::Policy,
        3,
        "return|returns|refund|refunds|exchange|warranty|guarantee|cancel|cancellation|cancellations|policy|\
         policies|devolucao|devolver|reembolso|garantia|cancelar",
    ),
    (
        Cue::Bot,
        4,
        "bot|robot|chatbot|are you human|are you a human|are you a real person|are you a person|\
         is this a real person|is this a person|is this automated|automated|are you ai|are you an ai|\
         is this ai|robo|eres un bot|es un bot|e um robo|voce e um robo|eres humano|es humano|\
         e humano|voce e humano",
    ),
];

/// Answers to a yes/no question (the offer to go ahead), read apart from the table.
const YES: &str = "yes|yeah|yep|yup|sure|ok|okay|of course|definitely|absolutely|sounds good|go for it|sim|claro|\
                   si|vale|dale|bora|yes please";
const NO: &str = "no|nope|nah|nao|not yet|not now|no thanks";
/// Words that make a lead colder, whatever else the message says.
const NEGATIVE: &str = "not interested|stop|unsubscribe|spam|scam|rip off|ripoff|terrible|awful|worst|\
                        leave me alone|nao quero|no me interesa|no quiero|nao tenho interesse";

struct Phrase {
    cue: Cue,
    weight: u8,
    words: Vec<String>,
}

fn phrases(list: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    list.split('|')
        .map(|p| text::words(p).iter().map(|w| text::squash(w)).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
}

/// Every phrase of the table, longest first (it claims its words before the shorter).
static PHRASES: LazyLock<Vec<Phrase>> = LazyLock::new(|| {
    let mut all: Vec<Phrase> = TABLE
        .iter()
        .flat_map(|&(cue, weight, list)| phrases(list).map(move |words| Phrase { cue, weight, words }))
        .collect();
    all.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
    all
});

static YES_NO_NEGATIVE: LazyLock<[Vec<Vec<String>>; 3]> =
    LazyLock::new(|| [phrases(YES).collect(), phrases(NO).collect(), phrases(NEGATIVE).collect()]);

/// The evidence found in one message.
#[derive(Debug, Clone, Default)]
pub struct Cues {
    scores: [u8; Cue::ALL.len()],
    /// Content words no phrase accounts for: what the message says beyond the cues
    /// ("do you make cakes for weddings" after "good morning").
    pub unclaimed: usize,
    pub yes: bool,
    pub no: bool,
    pub negative: bool,
}

impl Cues {
    pub fn score(&self, cue: Cue) -> u8 {
        self.scores[cue as usize]
    }

    pub fn add(&mut self, cue: Cue, weight: u8) {
        let score = &mut self.scores[cue as usize];
        *score = score.saturating_add(weight);
    }

    /// The cue that weighs most, at least `min`; ties go to the earlier in [`Cue::ALL`].
    pub fn strongest(&self, min: u8, among: &[Cue]) -> Option<Cue> {
        let mut best: Option<(Cue, u8)> = None;
        for cue in Cue::ALL.into_iter().filter(|c| among.contains(c)) {
            let score = self.score(cue);
            if score >= min && best.is_none_or(|(_, top)| score > top) {
                best = Some((cue, score));
            }
        }
        best.map(|(cue, _)| cue)
    }
}

/// Finds the cues in a message.
pub fn detect(words: &Words) -> Cues {
    let mut cues = Cues::default();
    let message = &words.squashed;
    let mut claimed = vec![false; message.len()];
    // Exact words claim first: "pricey" is the objection it says, not a typo of "price".
    for exact in [true, false] {
        for phrase in PHRASES.iter() {
            if let Some(start) = find(message, &phrase.words, Some(&claimed), exact) {
                claimed[start..start + phrase.words.len()].iter_mut().for_each(|c| *c = true);
                cues.add(phrase.cue, phrase.weight);
            }
        }
    }
    let plain_unclaimed: Vec<String> =
        words.plain.iter().zip(&claimed).filter(|(_, c)| !**c).map(|(w, _)| w.clone()).collect();
    cues.unclaimed = text::content_words(&plain_unclaimed).len();
    let [yes, no, negative] = &*YES_NO_NEGATIVE;
    let any = |list: &Vec<Vec<String>>| list.iter().any(|p| find(message, p, None, false).is_some());
    cues.yes = any(yes);
    cues.no = any(no);
    cues.negative = any(negative);
    cues
}

/// Where `phrase` occurs in `message` on words not yet claimed, word for word when
/// `exact`, else forgiving typos.
fn find(message: &[String], phrase: &[String], claimed: Option<&[bool]>, exact: bool) -> Option<usize> {
    if phrase.is_empty() || phrase.len() > message.len() {
        return None;
    }
    (0..=message.len() - phrase.len()).find(|&start| {
        let span = start..start + phrase.len();
        claimed.is_none_or(|c| !c[span.clone()].contains(&true))
            && message[span]
                .iter()
                .zip(phrase)
                .all(|(word, key)| if exact { word == key } else { similar(word, key) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strongest(message: &str) -> Option<Cue> {
        detect(&Words::of(message)).strongest(2, &Cue::ALL)
    }

    #[test]
    fn phrases_beat_their_words() {
        assert_eq!(strongest("are you human?"), Some(Cue::Bot));
        assert_eq!(strongest("I want to talk to a human"), Some(Cue::WantsPerson));
        assert_eq!(strongest("when will my order arrive"), Some(Cue::Shipping));
        assert_eq!(strongest("thats too expensive"), Some(Cue::Objection));
        assert_eq!(strongest("thank you so much"), Some(Cue::Thanks));
        assert_eq!(strongest("a bit pricey"), Some(Cue::Objection), "not a typo of price");
        assert_eq!(strongest("are you a bot?"), Some(Cue::Bot));
    }

    #[test]
    fn typos_case_and_languages() {
        assert_eq!(strongest("wats the prise"), Some(Cue::Price));
        assert_eq!(strongest("HOW MUCH"), Some(Cue::Price));
        assert_eq!(strongest("cuánto cuesta?"), Some(Cue::Price));
        assert_eq!(strongest("hiii 👋"), Some(Cue::Greeting));
        assert_eq!(strongest("Olá, bom dia"), Some(Cue::Greeting));
        assert_eq!(strongest("shiping to texas"), Some(Cue::Shipping));
        assert_eq!(strongest("is it avaliable"), Some(Cue::Availability));
    }

    #[test]
    fn hints_alone_are_not_enough() {
        assert_eq!(strongest("what's the weather like today"), None);
        assert_eq!(strongest(""), None);
    }

    #[test]
    fn yes_no_and_negative_words_are_read_apart() {
        let cues = detect(&Words::of("yes please!"));
        assert!(cues.yes && !cues.no);
        let cues = detect(&Words::of("nope, not interested"));
        assert!(cues.no && cues.negative);
    }
}
