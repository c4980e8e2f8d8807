-- Every mission with its hotel, extra and amounts; `passee` is the single definition of "past".
SELECT m.mission_id,
       m.date_debut,
       m.date_fin,
       m.duree_mission,
       m.heures_supp,
       m.hotel_id,
       h.hotel_nom,
       h.hotel_ville,
       h.zipcode,
       h.hotel_logiciel,
       m.extra_id,
       e.nom AS extra_nom,
       m.urgent,
       m.annulation,
       m.tarif_horaire,
       m.tarif_urgence,
       m.total_ht,
       m.total_ttc,
       m.extra_salaire,
       m.benefice,
       m.facture,
       m.reglement,
       m.date_debut < f.date_export AS passee
FROM core.missions m
LEFT JOIN core.hotel h ON h.hotel_id = m.hotel_id
LEFT JOIN core.extra e ON e.extra_id = m.extra_id
CROSS JOIN fraicheur_donnees f
