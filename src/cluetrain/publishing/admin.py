from django.contrib import admin

from cluetrain.publishing.models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["created_at", "voice", "author", "status"]
    list_filter = ["status", "organization"]
    readonly_fields = ["organization", "voice", "author", "text", "status", "published_at"]
