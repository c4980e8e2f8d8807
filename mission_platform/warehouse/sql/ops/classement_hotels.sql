-- Classement hôtels for operations: reporting.classement_hotels with real names, then address and contact notes.
SELECT r.hotel_id,
       ph.hotel_nom,
       r.hotel_ville,
       r.status,
       r.nb_missions,
       r.chiffre_affaires,
       r.benefice,
       r.rentabilite,
       r.annulations_hotel,
       ph.hotel_adresse,
       ph.notes AS hotel_notes
FROM reporting.classement_hotels r
LEFT JOIN private.hotel ph ON ph.hotel_id = r.hotel_id
