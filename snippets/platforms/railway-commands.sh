# Railway from the Railway CLI, in a linked project (railway link).
railway add --database redis                                # a Redis service named "Redis"
railway variables --service pharmacare-api --set 'REDIS_URL=${{Redis.REDIS_URL}}'
railway variables --service pharmacare-api                  # check that REDIS_URL is there
railway run python -m snippets.platforms.smoke              # locally, with the app's variables
