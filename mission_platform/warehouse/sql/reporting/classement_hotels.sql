-- Classement hôtels: per hotel, missions done, revenue, margin, cancellations by the hotel (any date).
SELECT h.hotel_id,
       h.hotel_nom,
       h.hotel_ville,
       h.status,
       count(d.mission_id) FILTER (WHERE d.passee AND d.annulation IS NULL) AS nb_missions,
       coalesce(sum(d.total_ht) FILTER (WHERE d.passee), 0) AS chiffre_affaires,
       coalesce(sum(d.benefice) FILTER (WHERE d.passee), 0) AS benefice,
       sum(d.benefice) FILTER (WHERE d.passee) / NULLIF(sum(d.total_ht) FILTER (WHERE d.passee), 0) AS rentabilite,
       count(d.mission_id) FILTER (WHERE d.annulation = 'hotel') AS annulations_hotel
FROM core.hotel h
LEFT JOIN missions_detail d ON d.hotel_id = h.hotel_id
GROUP BY h.hotel_id
