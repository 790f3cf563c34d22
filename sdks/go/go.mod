module hookd.dev/client

go 1.19
