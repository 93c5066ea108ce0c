namespace Rpc.Server.Dispatch;

/// <summary>Describes in plain English which JSON a .NET parameter type accepts, for -32602 error data.</summary>
public static class JsonTypeDescription
{
    public static string Of(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string))
        {
            return "a string";
        }

        if (underlying == typeof(long))
        {
            return "an id (a string of digits)";
        }

        if (underlying == typeof(int) || underlying == typeof(short))
        {
            return "an integer";
        }

        if (underlying == typeof(bool))
        {
            return "a boolean";
        }

        if (underlying == typeof(double) || underlying == typeof(decimal))
        {
            return "a number";
        }

        if (underlying.IsEnum)
        {
            var names = underlying.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Select(f => f.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute), false)
                    .Cast<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name ?? f.Name);
            return "one of " + string.Join(", ", names);
        }

        var element = underlying.IsArray
            ? underlying.GetElementType()
            : underlying.GetInterfaces().Append(underlying)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        if (element is not null && underlying != typeof(string))
        {
            return "an array of " + Of(element).Replace("a ", string.Empty, StringComparison.Ordinal).Replace("an ", string.Empty, StringComparison.Ordinal) + " values";
        }

        return "an object";
    }
}
