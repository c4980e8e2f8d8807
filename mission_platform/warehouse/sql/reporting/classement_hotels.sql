-- Classement hôtels: per hotel, missions done, revenue, margin, cancellations by the hotel (any date).
-- The missions are summed per hotel first, then joined: a join of every mission to its hotel cost twice as much.
WITH par_hotel AS (
    SELECT hotel_id,
           count(*) FILTER (WHERE passee AND annulation IS NULL) AS nb_missions,
           sum(total_ht) FILTER (WHERE passee) AS chiffre_affaires,
           sum(benefice) FILTER (WHERE passee) AS benefice,
           count(*) FILTER (WHERE annulation = 'hotel') AS annulations_hotel
    FROM missions_detail
    GROUP BY hotel_id
)
SELECT h.hotel_id,
       h.hotel_nom,
       h.hotel_ville,
       h.status,
       coalesce(d.nb_missions, 0) AS nb_missions,
       coalesce(d.chiffre_affaires, 0) AS chiffre_affaires,
       coalesce(d.benefice, 0) AS benefice,
       d.benefice / NULLIF(d.chiffre_affaires, 0) AS rentabilite,
       coalesce(d.annulations_hotel, 0) AS annulations_hotel
FROM core.hotel h
LEFT JOIN par_hotel d ON d.hotel_id = h.hotel_id
