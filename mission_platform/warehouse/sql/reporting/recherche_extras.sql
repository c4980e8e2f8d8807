-- Recherche extras: the extras directory (no phone or e-mail: anonymisation removed them).
SELECT extra_id,
       nom AS extra_nom,
       logiciel,
       statuts,
       disponibilites,
       vacance_debut,
       vacance_fin,
       nbre_mission,
       date_de_creation
FROM core.extra
