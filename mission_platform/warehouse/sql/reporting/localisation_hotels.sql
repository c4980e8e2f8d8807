-- Localisation hôtels: Looker Studio geocodes the postal code with the country.
SELECT h.hotel_id,
       h.hotel_nom,
       h.zipcode,
       h.hotel_ville,
       'FR'::text AS pays,
       c.nb_missions,
       c.chiffre_affaires
FROM core.hotel h
JOIN classement_hotels c ON c.hotel_id = h.hotel_id
