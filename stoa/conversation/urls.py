app_name = "conversation"
urlpatterns: list = []
