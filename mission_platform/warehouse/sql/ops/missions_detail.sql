-- Every mission for operations: reporting.missions_detail with the hotel's and the extra's real names (same
-- columns; null for someone missing from private, e.g. under the public-demo profile), then the contacts.
-- Also the SELECT of ops.missions_passees, missions_a_venir and missions_a_affecter, each over its own
-- reporting table (the FROM below is the reporting table the relation reads first).
SELECT r.mission_id,
       r.date_debut,
       r.date_fin,
       r.duree_mission,
       r.heures_supp,
       r.hotel_id,
       ph.hotel_nom,
       r.hotel_ville,
       r.zipcode,
       r.hotel_logiciel,
       r.extra_id,
       pe.nom AS extra_nom,
       r.urgent,
       r.annulation,
       r.tarif_horaire,
       r.tarif_urgence,
       r.total_ht,
       r.total_ttc,
       r.extra_salaire,
       r.benefice,
       r.facture,
       r.reglement,
       r.passee,
       ph.hotel_adresse,
       ph.notes AS hotel_notes,
       pe.telephone AS extra_telephone,
       pe.email AS extra_email
FROM {source} r
LEFT JOIN private.hotel ph ON ph.hotel_id = r.hotel_id
LEFT JOIN private.extra pe ON pe.extra_id = r.extra_id
