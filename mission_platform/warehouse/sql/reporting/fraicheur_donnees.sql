-- Footer "Dernière mise à jour des données": the published export and when it was published (Paris time).
SELECT export_id,
       export_date AS date_export,
       (published_at AT TIME ZONE 'Europe/Paris') AS derniere_mise_a_jour
FROM core.load_history
ORDER BY load_id DESC
LIMIT 1
