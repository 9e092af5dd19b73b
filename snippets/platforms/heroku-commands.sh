# Heroku Key-Value Store from the Heroku CLI (APP is your app's name).
heroku addons:create heroku-redis:mini --app APP   # sets REDIS_URL on the app
heroku redis:wait --app APP                         # until the instance is available
heroku config:get REDIS_URL --app APP               # rediss://:PASSWORD@HOST:PORT
heroku redis:maxmemory --policy noeviction --app APP   # queues must not lose jobs
heroku redis:info --app APP                         # plan, version, maxmemory policy
heroku run python -m snippets.platforms.heroku --app APP   # connect as the app does
heroku redis:credentials --reset --app APP          # rotate: REDIS_URL changes, dynos restart
