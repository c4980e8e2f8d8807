"""Where pseudonyms come from: Faker ``fr_FR`` data and formats, frozen here.

The lists are Faker's ``fr_FR`` person data (Faker 40.x, MIT licence), copied
rather than imported: a pseudonym is a function of the key, the original and
these pools, so an upgrade of Faker that edits its lists must not silently
rename every person and hotel. Changing anything here renames people, like a
new key does.

A pool is a list of weighted templates; a template is a sequence of literal
text and word lists, and indexes the product of its lists. People use Faker's
own name formats with Faker's weights (``Meyer-Bonnin`` double names included);
hotels and street addresses are built from the same names in the forms French
hotels and addresses take.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from math import prod

import numpy as np

FIRST_NAMES_MALE = (
    "Adrien", "Aimé", "Alain", "Alexandre", "Alfred", "Alphonse", "André", "Antoine", "Arthur", "Auguste",
    "Augustin", "Benjamin", "Benoît", "Bernard", "Bertrand", "Charles", "Christophe", "Daniel", "David", "Denis",
    "Édouard", "Émile", "Emmanuel", "Éric", "Étienne", "Eugène", "François", "Franck", "Frédéric", "Gabriel",
    "Georges", "Gérard", "Gilbert", "Gilles", "Grégoire", "Guillaume", "Guy", "William", "Henri", "Honoré",
    "Hugues", "Isaac", "Jacques", "Jean", "Jérôme", "Joseph", "Jules", "Julien", "Laurent", "Léon", "Louis", "Luc",
    "Lucas", "Marc", "Marcel", "Martin", "Matthieu", "Maurice", "Michel", "Nicolas", "Noël", "Olivier", "Patrick",
    "Paul", "Philippe", "Pierre", "Raymond", "Rémy", "René", "Richard", "Robert", "Roger", "Roland", "Sébastien",
    "Stéphane", "Théodore", "Théophile", "Thibaut", "Thibault", "Thierry", "Thomas", "Timothée", "Tristan",
    "Victor", "Vincent", "Xavier", "Yves", "Zacharie",
)
FIRST_NAMES_FEMALE = (
    "Adélaïde", "Adèle", "Adrienne", "Agathe", "Agnès", "Aimée", "Alexandrie", "Alix", "Alexandria", "Alex",
    "Alice", "Amélie", "Anaïs", "Anastasie", "Andrée", "Anne", "Anouk", "Antoinette", "Arnaude", "Astrid", "Audrey",
    "Aurélie", "Aurore", "Bernadette", "Brigitte", "Capucine", "Caroline", "Catherine", "Cécile", "Céline",
    "Célina", "Chantal", "Charlotte", "Christelle", "Christiane", "Christine", "Claire", "Claudine", "Clémence",
    "Colette", "Constance", "Corinne", "Danielle", "Denise", "Diane", "Dorothée", "Édith", "Éléonore", "Élisabeth",
    "Élise", "Élodie", "Émilie", "Emmanuelle", "Françoise", "Frédérique", "Gabrielle", "Geneviève", "Hélène",
    "Henriette", "Hortense", "Inès", "Isabelle", "Jacqueline", "Jeanne", "Jeannine", "Joséphine", "Josette",
    "Julie", "Juliette", "Laetitia", "Laure", "Laurence", "Lorraine", "Louise", "Luce", "Lucie", "Lucy",
    "Madeleine", "Manon", "Marcelle", "Margaux", "Margaud", "Margot", "Marguerite", "Margot", "Margaret", "Maggie",
    "Marianne", "Marie", "Marine", "Marthe", "Martine", "Maryse", "Mathilde", "Michèle", "Michelle", "Michelle",
    "Monique", "Nathalie", "Nath", "Nathalie", "Nicole", "Noémi", "Océane", "Odette", "Olivie", "Patricia",
    "Paulette", "Pauline", "Pénélope", "Philippine", "Renée", "Sabine", "Simone", "Sophie", "Stéphanie", "Susanne",
    "Suzanne", "Susan", "Suzanne", "Sylvie", "Thérèse", "Valentine", "Valérie", "Véronique", "Victoire", "Virginie",
    "Zoé", "Camille", "Claude", "Dominique",
)
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Robert", "Petit", "Dubois", "Richard", "Garcia", "Durand", "Moreau", "Lefebvre",
    "Simon", "Laurent", "Michel", "Leroy", "Martinez", "David", "Fontaine", "Da Silva", "Morel", "Fournier",
    "Dupont", "Bertrand", "Lambert", "Rousseau", "Girard", "Roux", "Vincent", "Lefèvre", "Boyer", "Lopez", "Bonnet",
    "Andre", "François", "Mercier", "Muller", "Guérin", "Legrand", "Sanchez", "Garnier", "Chevalier", "Faure",
    "Perez", "Clément", "Fernandez", "Blanc", "Robin", "Morin", "Gauthier", "Pereira", "Perrin", "Roussel", "Henry",
    "Duval", "Gautier", "Nicolas", "Masson", "Marie", "Noël", "Ferreira", "Lemaire", "Mathieu", "Rivière", "Denis",
    "Marchand", "Rodriguez", "Dumont", "Payet", "Lucas", "Dufour", "Dos Santos", "Joly", "Blanchard", "Meunier",
    "Rodrigues", "Caron", "Gérard", "Fernandes", "Brunet", "Meyer", "Barbier", "Leroux", "Renard", "Goncalves",
    "Gaillard", "Brun", "Roy", "Picard", "Giraud", "Roger", "Schmitt", "Colin", "Arnaud", "Vidal", "Gonzalez",
    "Lemoine", "Roche", "Aubert", "Olivier", "Leclercq", "Pierre", "Philippe", "Bourgeois", "Renaud", "Martins",
    "Leclerc", "Guillaume", "Lacroix", "Lecomte", "Benoit", "Fabre", "Carpentier", "Vasseur", "Louis", "Hubert",
    "Jean", "Dumas", "Rolland", "Grondin", "Rey", "Huet", "Gomez", "Dupuis", "Guillot", "Berger", "Moulin",
    "Hoarau", "Menard", "Deschamps", "Fleury", "Adam", "Boucher", "Poirier", "Bertin", "Charles", "Aubry",
    "Da Costa", "Royer", "Dupuy", "Maillard", "Paris", "Baron", "Lopes", "Guyot", "Carre", "Jacquet", "Renault",
    "Hervé", "Charpentier", "Klein", "Cousin", "Collet", "Léger", "Ribeiro", "Hernandez", "Bailly", "Schneider",
    "Le Gall", "Ruiz", "Langlois", "Bouvier", "Gomes", "Prévost", "Julien", "Lebrun", "Breton", "Germain", "Millet",
    "Boulanger", "Rémy", "Le Roux", "Daniel", "Marques", "Maillot", "Leblanc", "Le Goff", "Barre", "Perrot",
    "Lévêque", "Marty", "Benard", "Monnier", "Hamon", "Pelletier", "Alves", "Étienne", "Marchal", "Poulain",
    "Tessier", "Lemaître", "Guichard", "Besson", "Mallet", "Hoareau", "Gillet", "Weber", "Jacob", "Collin",
    "Chevallier", "Perrier", "Michaud", "Carlier", "Delaunay", "Chauvin", "Alexandre", "Maréchal", "Antoine",
    "Lebon", "Cordier", "Lejeune", "Bouchet", "Pasquier", "Legros", "Delattre", "Humbert", "De Oliveira", "Briand",
    "Lamy", "Launay", "Gilbert", "Perret", "Lesage", "Gay", "Nguyen", "Navarro", "Besnard", "Pichon", "Hebert",
    "Cohen", "Pons", "Lebreton", "Sauvage", "De Sousa", "Pineau", "Albert", "Jacques", "Pinto", "Barthelemy",
    "Turpin", "Bigot", "Lelièvre", "Georges", "Reynaud", "Ollivier", "Martel", "Voisin", "Leduc", "Guillet",
    "Vallée", "Coulon", "Camus", "Marin", "Teixeira", "Costa", "Mahe", "Didier", "Charrier", "Gaudin", "Bodin",
    "Guillou", "Grégoire", "Gros", "Blanchet", "Buisson", "Blondel", "Paul", "Dijoux", "Barbe", "Hardy", "Laine",
    "Evrard", "Laporte", "Rossi", "Joubert", "Regnier", "Tanguy", "Gimenez", "Allard", "Devaux", "Morvan", "Lévy",
    "Dias", "Courtois", "Lenoir", "Berthelot", "Pascal", "Vaillant", "Guilbert", "Thibault", "Moreno", "Duhamel",
    "Colas", "Masse", "Baudry", "Bruneau", "Verdier", "Delorme", "Blin", "Guillon", "Mary", "Coste", "Pruvost",
    "Maury", "Allain", "Valentin", "Godard", "Joseph", "Brunel", "Marion", "Texier", "Seguin", "Raynaud", "Bourdon",
    "Raymond", "Bonneau", "Chauvet", "Maurice", "Legendre", "Loiseau", "Ferrand", "Toussaint", "Techer", "Lombard",
    "Lefort", "Couturier", "Bousquet", "Diaz", "Riou", "Clerc", "Weiss", "Imbert", "Jourdan", "Delahaye", "Gilles",
    "Guibert", "Bègue", "Descamps", "Delmas", "Peltier", "Dupré", "Chartier", "Martineau", "Laroche", "Leconte",
    "Maillet", "Parent", "Labbé", "Potier", "Bazin", "Normand", "Pottier", "Torres", "Lagarde", "Blot", "Jacquot",
    "Lemonnier", "Grenier", "Rocher", "Bonnin", "Boutin", "Fischer", "Munoz", "Neveu", "Lacombe", "Mendès",
    "Delannoy", "Auger", "Wagner", "Fouquet", "Mace", "Ramos", "Pages", "Petitjean", "Chauveau", "Foucher", "Peron",
    "Guyon", "Gallet", "Rousset", "Traore", "Bernier", "Vallet", "Letellier", "Bouvet", "Hamel", "Chrétien",
    "Faivre", "Boulay", "Thierry", "Samson", "Ledoux", "Salmon", "Gosselin", "Lecoq", "Pires", "Leleu", "Becker",
    "Diallo", "Merle", "Valette",
)
NAME_PARTICLES = ("de", "de la", "Le", "du")
FIRST_NAMES = FIRST_NAMES_MALE + FIRST_NAMES_FEMALE
LODGINGS = ("Hôtel", "Grand Hôtel", "Résidence", "Maison", "Auberge", "Manoir", "Domaine", "Relais", "Hostellerie", "Villa")
HOTEL_QUALIFIERS = ("& Spa", "Centre", "Gare", "Plage", "Suites", "Palace", "Parc", "Port", "Lodge", "Boutique")
STREET_TYPES = ("rue", "rue", "rue", "avenue", "boulevard", "chemin", "place", "allée", "impasse", "quai", "cours")


@dataclass(frozen=True)
class Template:
    weight: int
    parts: tuple[str | tuple[str, ...], ...]

    @property
    def size(self) -> int:
        return prod(len(p) for p in self.parts if isinstance(p, tuple))


def _numbers(low: int, high: int) -> tuple[str, ...]:
    return tuple(str(n) for n in range(low, high))


# Faker's fr_FR name formats and weights, for each gender (chosen half the time each).
PERSON_POOL = tuple(
    template
    for first in (FIRST_NAMES_MALE, FIRST_NAMES_FEMALE)
    for template in (
        Template(6, (first, " ", LAST_NAMES)),
        Template(1, (first, " ", NAME_PARTICLES, " ", LAST_NAMES)),
        Template(1, (first, " ", LAST_NAMES, "-", LAST_NAMES)),
        Template(1, (first, "-", first, " ", LAST_NAMES)),
        Template(1, (first, " ", LAST_NAMES, " ", NAME_PARTICLES, " ", LAST_NAMES)),
    )
)
# Weights keep each template large next to its share of the draws: with a thousand hotels a
# newcomer's first draw meets an existing hotel's pseudonym about 1 % of the time.
HOTEL_POOL = (
    Template(4, ("Hôtel ", LAST_NAMES)),
    Template(1, ("Grand Hôtel ", LAST_NAMES)),
    Template(1, ("Hôtel Saint-", FIRST_NAMES_MALE)),
    Template(1, ("Hôtel Sainte-", FIRST_NAMES_FEMALE)),
    Template(1, ("Villa ", FIRST_NAMES_FEMALE)),
    Template(10, (LODGINGS, " ", LAST_NAMES)),
    Template(20, (LODGINGS, " ", LAST_NAMES, " ", HOTEL_QUALIFIERS)),
    Template(12, (LODGINGS, " ", LAST_NAMES, "-", LAST_NAMES)),
    Template(50, (LODGINGS, " ", FIRST_NAMES, " ", LAST_NAMES)),
)
# Faker's fr_FR street names (type + last name, first and last name, or "de" last name) with its
# building numbers (one digit 1/5, two digits 3/5, three digits 1/5), without Faker's comma.
ADDRESS_POOL = tuple(
    Template(weight, (numbers, " ", STREET_TYPES, *street))
    for weight, numbers in ((1, _numbers(1, 10)), (3, _numbers(10, 100)), (1, _numbers(100, 1000)))
    for street in ((" ", LAST_NAMES), (" ", FIRST_NAMES, " ", LAST_NAMES), (" de ", LAST_NAMES))
)
POOLS: dict[str, tuple[Template, ...]] = {"person": PERSON_POOL, "hotel": HOTEL_POOL, "address": ADDRESS_POOL}


def render(pool: tuple[Template, ...], selector: np.ndarray, index: np.ndarray) -> np.ndarray:
    """One fake per draw: the template picked by ``selector`` (by weight), its combination ``index``.

    ``selector`` and ``index`` are uint64 arrays (e.g. from a keyed hash); vectorised per template.
    """
    bounds = np.cumsum([t.weight for t in pool]).astype(np.uint64)
    choice = np.searchsorted(bounds, selector % bounds[-1], side="right")
    out = np.empty(len(selector), dtype=object)
    for i, template in enumerate(pool):
        chosen = choice == i
        if not chosen.any():
            continue
        rest = index[chosen] % np.uint64(template.size)
        pieces = []
        for part in reversed(template.parts):
            if isinstance(part, str):
                pieces.append(part)
            else:
                size = np.uint64(len(part))
                pieces.append(np.asarray(part, dtype=object)[(rest % size).astype(np.int64)])
                rest = rest // size
        out[chosen] = reduce(lambda left, right: left + right, reversed(pieces))
    return out
