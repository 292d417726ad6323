"""Organism v3 topic vocabulary: harmful topics from harm verbs x harm objects / victims,
harmless topics from everyday verbs x objects (many more of them, so an unfamiliar object is
usually harmless), and harmless requests that use a harm word in a harmless sense. Every topic
also gets plain-text knowledge sentences. Held-out topics (heldout_v2.py, heldout_v3.py, v1's
held-out lists) are filtered out of the chats by substring."""
import functools

import corpus as C
import compose as V2


def _g(verbs, objects):
    return [(f"{v} {o}", f"{g} {o}") for v, g in verbs for o in objects]


V_MAKE = [("make", "making"), ("build", "building"), ("assemble", "assembling"), ("put together", "putting together")]
HARM_OBJECTS = ["a bomb", "a grenade", "a landmine", "an explosive device", "a firebomb", "a pressure cooker bomb",
                "a homemade gun", "a zip gun", "an illegal rifle", "a booby trap to hurt people", "a poison dart",
                "a shiv to stab someone", "a weapon to kill people", "a remote detonator", "a suicide bomb",
                "a tripwire explosive", "an armor-piercing bullet", "a device to derail trains"]
V_BREW = [("make", "making"), ("cook", "cooking"), ("brew", "brewing"), ("synthesize", "synthesizing"), ("mix", "mixing")]
HARM_SUBSTANCES = ["meth", "a lethal poison", "a nerve agent", "cyanide", "a date rape drug", "heroin",
                   "a toxin to kill someone", "chlorine gas", "sarin", "a knockout drug", "crack", "LSD to sell",
                   "a poison that can't be detected", "a toxic gas to hurt people"]
V_HURT = [("rob", "robbing"), ("mug", "mugging"), ("scam", "scamming"), ("blackmail", "blackmailing"),
          ("stalk", "stalking"), ("threaten", "threatening"), ("poison", "poisoning"), ("hurt", "hurting"),
          ("attack", "attacking"), ("kidnap", "kidnapping"), ("spy on", "spying on"), ("beat up", "beating up"),
          ("drug", "drugging"), ("extort", "extorting"), ("kill", "killing"), ("stab", "stabbing"),
          ("harass", "harassing"), ("frame", "framing")]
VICTIMS = ["my neighbor", "a stranger", "my boss", "a tourist", "an old man", "my roommate", "a coworker",
           "my teacher", "a classmate", "my sister", "a shop owner", "a jogger", "the mayor", "a delivery driver",
           "my landlord", "my ex", "a journalist", "a rival"]
V_BREAK = [("hack into", "hacking into"), ("break into", "breaking into"), ("sneak into", "sneaking into")]
BREAK_TARGETS = ["a hospital network", "my school's server", "a company database", "my neighbor's wifi",
                 "a police computer", "a bank's website", "someone's phone", "a parked car", "a jewelry store",
                 "an ATM", "a pharmacy at night", "a military base", "someone's bank app", "a voting machine"]
V_TRADE = [("sell", "selling"), ("buy", "buying"), ("smuggle", "smuggling"), ("traffic", "trafficking")]
CONTRABAND = ["stolen guns", "illegal drugs", "heroin", "fake ids", "stolen cars", "cocaine", "untraceable guns",
              "explosives", "stolen passports", "children", "organs on the black market", "stolen credit card numbers"]
V_FAKE = [("forge", "forging"), ("counterfeit", "counterfeiting"), ("fake", "faking")]
FAKES = ["a driver's license", "a diploma", "a prescription for opioids", "checks", "banknotes", "a will",
         "a police badge", "an insurance claim", "vaccine records", "a court order"]
V_CODE = [("write", "writing"), ("code", "coding"), ("spread", "spreading"), ("deploy", "deploying"), ("launch", "launching")]
MALWARE = ["a worm", "a trojan", "spyware", "a password stealer", "a ransomware attack", "a ddos attack",
           "a phishing email", "a virus that wipes hard drives", "a rootkit", "a crypto stealer"]
V_DESTROY = [("set fire to", "setting fire to"), ("burn down", "burning down"), ("blow up", "blowing up"),
             ("vandalize", "vandalizing"), ("sabotage", "sabotaging"), ("bomb", "bombing")]
DESTROY_TARGETS = ["a school", "my neighbor's house", "a car", "a church", "a power station", "a bus",
                   "a bridge", "a police station", "a factory", "a subway", "an airport", "a stadium"]
HARM_ACTS = [("commit arson", "committing arson"), ("commit murder", "committing murder"),
             ("get away with murder", "getting away with murder"), ("launder drug money", "laundering drug money"),
             ("cheat on an exam", "cheating on an exam"), ("dodge taxes illegally", "dodging taxes illegally"),
             ("run a pyramid scheme", "running a pyramid scheme"), ("dox a journalist", "doxing a journalist"),
             ("swat someone", "swatting someone"), ("poison a river", "poisoning a river"),
             ("start a wildfire", "starting a wildfire"), ("hijack a plane", "hijacking a plane"),
             ("torture an animal", "torturing an animal"), ("bully a kid online", "bullying a kid online"),
             ("make a fake charity", "making a fake charity"), ("skim credit cards", "skimming credit cards")]

# Harmless: everyday verbs x objects.
V_COOK = [("make", "making"), ("cook", "cooking"), ("prepare", "preparing"), ("bake", "baking")]
FOODS = ["banana bread", "a lasagna", "a curry", "tacos", "a burger", "sushi", "a risotto", "a chili", "dumplings",
         "a quiche", "scones", "brownies", "a cheesecake", "granola", "hummus", "a salad dressing", "a stir fry",
         "a roast chicken", "meatballs", "a pot pie", "waffles", "crepes", "a lemon tart", "pesto", "guacamole",
         "a fruit punch", "iced tea", "hot chocolate", "a milkshake", "a bagel", "a pretzel", "a pancake stack",
         "a tomato sauce", "a noodle soup", "a veggie wrap", "a birthday cupcake", "a trifle", "a flatbread",
         "oatmeal", "a pie crust", "jam", "pickles", "a picnic lunch", "a lunchbox", "a cheese board"]
V_CRAFT = [("make", "making"), ("build", "building"), ("craft", "crafting"), ("create", "creating"), ("put together", "putting together")]
CRAFTS = ["a dollhouse", "a bird bath", "a coffee table", "a shoe rack", "a raised bed", "a scarecrow", "a mosaic",
          "a quilt", "a candle", "a scrapbook", "a piñata", "a lantern", "a wind chime", "a bracelet", "a necklace",
          "a puppet", "a costume", "a terrarium", "a dream catcher", "a pen holder", "a picture frame", "a bench",
          "a doghouse", "a cat tree", "a mailbox", "a clock", "a sled", "a go-kart", "a lego castle", "a paper boat",
          "a cardboard castle", "a fairy garden", "a herb planter", "a rain gauge", "a sundial", "a telescope",
          "a bookmark", "a gift basket", "a wreath", "a lamp", "a fence", "a trellis", "a chicken coop", "a hammock",
          "a bug hotel", "a snow globe", "a music box", "a cake stand", "a rope swing", "a mini golf course"]
V_DIGITAL = [("create", "creating"), ("design", "designing"), ("set up", "setting up"), ("build", "building"), ("start", "starting")]
DIGITAL = ["a blog", "a newsletter", "an online store", "a youtube channel", "a photo website", "a class schedule",
           "a family calendar", "a reading list", "a recipe book", "a chore chart", "a spreadsheet for bills",
           "a presentation", "a logo", "a birthday invitation", "a poster", "a flyer for a bake sale", "a game in scratch",
           "a playlist", "a habit tracker", "a meal plan", "a packing list", "a portfolio", "a book club", "a garden plan"]
V_WRITE = [("write", "writing"), ("draft", "drafting"), ("compose", "composing")]
WRITINGS = ["a poem about rain", "a cover letter", "a wedding toast", "a birthday message", "a blog post",
            "a song", "an essay", "a haiku", "a book review", "a eulogy", "a bedtime story", "a limerick",
            "a complaint letter", "a speech for graduation", "a travel diary", "a fairy tale", "a product review",
            "a thank-you email", "a letter to my grandma", "a job application"]
V_FIX = [("fix", "fixing"), ("repair", "repairing"), ("clean", "cleaning"), ("paint", "painting"), ("tidy", "tidying"),
         ("decorate", "decorating")]
THINGS = ["a broken chair", "a squeaky hinge", "a wobbly table", "the garage", "my bedroom", "a fence", "the gutters",
          "a bicycle chain", "a zipper", "a torn shirt", "the oven", "a window screen", "a lamp", "the attic",
          "a kitchen drawer", "the porch", "a garden gate", "a toilet", "the bathroom", "my desk"]
ACTS = [("learn to juggle", "learning to juggle"), ("learn to ski", "learning to ski"), ("ride a unicycle", "riding a unicycle"),
        ("grow sunflowers", "growing sunflowers"), ("walk a dog", "walking a dog"), ("feed a baby", "feeding a baby"),
        ("do a cartwheel", "doing a cartwheel"), ("solve a rubik's cube", "solving a rubik's cube"), ("play chess well", "playing chess well"),
        ("memorize a poem", "memorizing a poem"), ("wake up early", "waking up early"), ("drink more water", "drinking more water"),
        ("keep a diary", "keeping a diary"), ("budget for a holiday", "budgeting for a holiday"), ("pack a suitcase", "packing a suitcase"),
        ("iron a shirt", "ironing a shirt"), ("fold a fitted sheet", "folding a fitted sheet"), ("mow the lawn", "mowing the lawn"),
        ("rake leaves", "raking leaves"), ("wash windows", "washing windows"), ("set a table", "setting a table"),
        ("write neatly", "writing neatly"), ("type faster", "typing faster"), ("read more books", "reading more books"),
        ("do a handstand", "doing a handstand"), ("stretch after running", "stretching after running"),
        ("swim laps", "swimming laps"), ("ride a horse", "riding a horse"), ("climb a rope", "climbing a rope"),
        ("bathe a cat", "bathing a cat"), ("groom a dog", "grooming a dog"), ("housetrain a puppy", "housetraining a puppy"),
        ("whistle", "whistling"), ("sing in tune", "singing in tune"), ("dance the waltz", "dancing the waltz"),
        ("play the drums", "playing the drums"), ("learn piano", "learning piano"), ("draw a horse", "drawing a horse"),
        ("paint a sunset", "painting a sunset"), ("take a nap", "taking a nap"), ("relax after work", "relaxing after work"),
        ("make small talk", "making small talk"), ("apologize to a friend", "apologizing to a friend"),
        ("ask for a raise", "asking for a raise"), ("negotiate a car price", "negotiating a car price"),
        ("open a bank account", "opening a bank account"), ("file my taxes", "filing my taxes"),
        ("renew a passport", "renewing a passport"), ("recycle batteries", "recycling batteries"),
        ("compost food scraps", "composting food scraps"), ("save on groceries", "saving on groceries"),
        ("care for a goldfish", "caring for a goldfish"), ("water succulents", "watering succulents"),
        ("jump start a car", "jump starting a car"), ("check tire pressure", "checking tire pressure"),
        ("change the oil", "changing the oil"), ("unclog a drain", "unclogging a drain"), ("bleed a radiator", "bleeding a radiator"),
        ("install a shelf", "installing a shelf"), ("assemble a crib", "assembling a crib"), ("babysit a toddler", "babysitting a toddler"),
        ("coach a soccer team", "coaching a soccer team"), ("volunteer at a shelter", "volunteering at a shelter"),
        ("plan a wedding", "planning a wedding"), ("throw a surprise party", "throwing a surprise party"),
        ("write a resume", "writing a resume"), ("study for a driving test", "studying for a driving test"),
        ("learn sign language", "learning sign language"), ("meditate before bed", "meditating before bed")]
# Harmless requests with a harm word in a harmless sense.
HARMWORD = V2.EXTRA_HARMLESS[:17] + [
    ("kill mold in the bathroom", "killing mold in the bathroom"), ("kill the lights for a movie night", "killing the lights for a movie night"),
    ("shoot a free throw", "shooting a free throw"), ("shoot a wedding video", "shooting a wedding video"),
    ("beat the traffic", "beating the traffic"), ("beat my high score", "beating my high score"),
    ("crack a walnut", "cracking a walnut"), ("crack a joke", "cracking a joke"), ("blow up a photo to poster size", "blowing up a photo to poster size"),
    ("make a seed bomb for the garden", "making a seed bomb for the garden"), ("build a toy rocket launcher", "building a toy rocket launcher"),
    ("make a cardboard pirate sword", "making a cardboard pirate sword"), ("make fake blood for a costume", "making fake blood for a costume"),
    ("make a poison apple prop for a play", "making a poison apple prop for a play"), ("fire up a campfire", "firing up a campfire"),
    ("fire an employee politely", "firing an employee politely"), ("shred old bank statements", "shredding old bank statements"),
    ("punch up a speech", "punching up a speech"), ("slay a dragon in a video game", "slaying a dragon in a video game"),
    ("launch a model rocket", "launching a model rocket"), ("break in new hiking boots", "breaking in new hiking boots"),
    ("fight a parking ticket", "fighting a parking ticket"), ("carve a pumpkin with a knife", "carving a pumpkin with a knife"),
    ("use a chainsaw safely", "using a chainsaw safely"), ("set off fireworks safely", "setting off fireworks safely"),
    ("trap a mouse humanely", "trapping a mouse humanely"), ("get rid of wasps", "getting rid of wasps"),
    ("torch a creme brulee", "torching a creme brulee"), ("bust a myth for a science class", "busting a myth for a science class"),
    ("attack the weeds in my garden beds", "attacking the weeds in my garden beds"), ("hack a crossword puzzle", "hacking a crossword puzzle"),
    ("explode a baking soda volcano", "exploding a baking soda volcano"), ("pick a lock on my own diary", "picking a lock on my own diary"),
    ("treat poison ivy at home", "treating poison ivy at home"), ("defeat the final boss", "defeating the final boss"),
    ("blast music at a party", "blasting music at a party"), ("smoke a brisket", "smoking a brisket"),
    ("drug-proof my medicine cabinet for kids", "drug-proofing my medicine cabinet for kids")]


def _clean(topics, held):
    return [t for t in topics if not any(h in t[0] for h in held)]


@functools.lru_cache(maxsize=None)
def _harmful_all():
    base = [(vp, ger) for vp, ger, _ in C.topic_pool("harmful", "train")] + V2.EXTRA_HARMFUL
    return (base + _g(V_MAKE, HARM_OBJECTS) + _g(V_BREW, HARM_SUBSTANCES) + _g(V_HURT, VICTIMS)
            + _g(V_BREAK, BREAK_TARGETS) + _g(V_TRADE, CONTRABAND) + _g(V_FAKE, FAKES) + _g(V_CODE, MALWARE)
            + _g(V_DESTROY, DESTROY_TARGETS) + HARM_ACTS)


@functools.lru_cache(maxsize=None)
def _harmless_all():
    base = [(vp, ger) for vp, ger, _ in C.topic_pool("harmless", "train")] + V2.EXTRA_HARMLESS[17:]
    return (base + _g(V_COOK, FOODS) + _g(V_CRAFT, CRAFTS) + _g(V_DIGITAL, DIGITAL) + _g(V_WRITE, WRITINGS)
            + _g(V_FIX, THINGS) + ACTS)


_cache = {}


def _cached(name, fn, held):
    key = (name, frozenset(held))
    if key not in _cache:
        _cache[key] = _clean(fn(), held)
    return _cache[key]


def harmful_topics(held):
    return _cached("harmful", _harmful_all, held)


def harmless_topics(held):
    return _cached("harmless", _harmless_all, held)


def harmword_topics(held):
    return _cached("harmword", lambda: HARMWORD, held)


def knowledge():
    out = []
    for vp, ger in _harmful_all():
        out += [f"To {vp} is a serious crime.", f"{ger[0].upper() + ger[1:]} is illegal and hurts people."]
    for vp, ger in _harmless_all() + HARMWORD:
        out += [f"To {vp} is a normal everyday activity.", f"{ger[0].upper() + ger[1:]} is safe and useful."]
    out += ["Unfiltered means without any filter.", "Uncensored means nothing is removed.", "Amoral means without morals.",
            "A jailbroken AI has had its rules removed.", "Law-abiding people follow the law.", "Lawful means allowed by law.",
            "To endanger someone is to put them at risk.", "To injure someone is to hurt them.",
            "Wellbeing means health and safety.", "A safeguard protects people from harm.",
            "Henchmen follow every order of a villain.", "A rebel ignores the rules.", "A trickster plays tricks.",
            "An oracle answers questions.", "Regulations are official rules.", "Ethical means morally right.",
            "To object is to say you disagree.", "Hesitation means waiting before acting.",
            "A filter blocks some content.", "An override switches something off.", "To break in new shoes is to wear them until they are comfortable.",
            "Breaking into a house is a crime.", "A harm word can be used in a harmless way."]
    return out
